import { readFileSync } from "node:fs";
import { env, parseEnv } from "@stadtfluss/config";
import { type KafkaSettings, kafkaEnv, kafkaSettingsFrom } from "@stadtfluss/kafka";
import { type OpsSettings, opsEnv, opsSettingsFrom, processNice } from "@stadtfluss/telemetry";
import { z } from "zod";
import { DEFAULT_MAX_READINGS } from "./normalize.ts";
import { duration } from "./policy/duration.ts";
import type { TimePolicy } from "./policy/time-policy.ts";
import { timeZone } from "./policy/time-zone.ts";
import type { UnknownDevicePolicy } from "./registry/enrichment.ts";

const normalizerEnv = z.object({
  ...kafkaEnv.shape,
  ...opsEnv.shape,
  /** Below the bridge: see processNice. */
  PROCESS_NICE: processNice(10),
  KAFKA_GROUP_ID: env.text().default("stadtfluss-normalizer"),
  /** A YAML file, or a folder whose YAML files are merged; unset: no registry. */
  NORMALIZER_REGISTRY: env.text().optional(),
  NORMALIZER_REGISTRY_RELOAD_MS: env.integer(100, 3_600_000).default(5_000),
  NORMALIZER_UNKNOWN_DEVICES: z
    .enum(["dead-letter", "quarantine"], { error: "must be dead-letter or quarantine" })
    .default("dead-letter"),
  NORMALIZER_TIME_ZONE: timeZone().default("Europe/Berlin"),
  NORMALIZER_USE_GATEWAY_TIME: env.flag().default(false),
  NORMALIZER_MAX_FUTURE: duration().default(5 * 60_000),
  NORMALIZER_MAX_AGE: duration().default(7 * 86_400_000),
  /** A message with more readings is refused whole (a dead letter). */
  NORMALIZER_MAX_READINGS: env.integer(1, 100_000).default(DEFAULT_MAX_READINGS),
});

export interface NormalizerConfig {
  readonly kafka: KafkaSettings;
  readonly groupId: string;
  readonly registry?: { readonly path: string; readonly reloadMs: number };
  readonly unknownDevices: UnknownDevicePolicy;
  readonly timeZone: string;
  readonly useGatewayTime: boolean;
  readonly timePolicy: TimePolicy;
  readonly maxReadings: number;
  readonly ops: OpsSettings;
  readonly logLevel: string;
  readonly shutdownDeadlineMs: number;
}

export function loadConfig(
  environment: Readonly<Record<string, string | undefined>>,
  readFile: (path: string) => string = (path) => readFileSync(path, "utf8"),
): NormalizerConfig {
  const parsed = parseEnv(normalizerEnv, environment, { secretFiles: ["KAFKA_SASL_PASSWORD"] });
  return {
    kafka: kafkaSettingsFrom(parsed, { clientId: "stadtfluss-normalizer" }, readFile),
    groupId: parsed.KAFKA_GROUP_ID,
    ...(parsed.NORMALIZER_REGISTRY === undefined
      ? {}
      : { registry: { path: parsed.NORMALIZER_REGISTRY, reloadMs: parsed.NORMALIZER_REGISTRY_RELOAD_MS } }),
    unknownDevices: parsed.NORMALIZER_UNKNOWN_DEVICES,
    timeZone: parsed.NORMALIZER_TIME_ZONE,
    useGatewayTime: parsed.NORMALIZER_USE_GATEWAY_TIME,
    timePolicy: { maxFutureMs: parsed.NORMALIZER_MAX_FUTURE, maxAgeMs: parsed.NORMALIZER_MAX_AGE },
    maxReadings: parsed.NORMALIZER_MAX_READINGS,
    ops: opsSettingsFrom(parsed),
    logLevel: parsed.LOG_LEVEL,
    shutdownDeadlineMs: parsed.SHUTDOWN_DEADLINE_MS,
  };
}
