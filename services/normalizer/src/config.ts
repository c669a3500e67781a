import { env } from "@stadtfluss/config";
import { type KafkaSettings, kafkaEnv, kafkaEnvChecks, kafkaSettingsFrom } from "@stadtfluss/kafka";
import { loadServiceConfig, opsEnv, processNice, type ServiceSettings } from "@stadtfluss/telemetry";
import { z } from "zod";
import { DEFAULT_MAX_READINGS } from "./normalize.ts";
import type { ObservationVersion } from "./point-identity.ts";
import type { TimePolicy } from "./policy/time-policy.ts";
import { defaultRedeliverySettings, type RedeliverySettings } from "./redeliveries.ts";
import type { UnknownDevicePolicy } from "./registry/enrichment.ts";

export interface NormalizerConfig extends ServiceSettings {
  readonly kafka: KafkaSettings;
  readonly groupId: string;
  readonly registry?: { readonly path: string; readonly reloadMs: number };
  readonly unknownDevices: UnknownDevicePolicy;
  readonly timeZone: string;
  readonly useGatewayTime: boolean;
  readonly timePolicy: TimePolicy;
  readonly observationVersion: ObservationVersion;
  readonly redeliveries: RedeliverySettings;
  readonly maxReadings: number;
}

const normalizerEnv = z
  .object({
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
    NORMALIZER_TIME_ZONE: env.timeZone().default("Europe/Berlin"),
    NORMALIZER_USE_GATEWAY_TIME: env.flag().default(false),
    NORMALIZER_MAX_FUTURE: env.duration().default(5 * 60_000),
    NORMALIZER_MAX_AGE: env.duration().default(7 * 86_400_000),
    /** 2, 3 or 4 only once every influx-writer reads it (docs/delivery.md, "Rollout"). */
    NORMALIZER_OBSERVATION_VERSION: z.enum(["1", "2", "3", "4"], { error: "must be 1, 2, 3 or 4" }).default("1"),
    /** Messages remembered to recognise a copy the MQTT broker sends again (about 120 bytes each). */
    NORMALIZER_REDELIVERY_MEMORY: env.integer(1_000, 10_000_000).default(defaultRedeliverySettings.memory),
    NORMALIZER_REDELIVERY_WINDOW: env.duration().default(defaultRedeliverySettings.windowMs),
    /** A message with more readings is refused whole (a dead letter). */
    NORMALIZER_MAX_READINGS: env.integer(1, 100_000).default(DEFAULT_MAX_READINGS),
  })
  .check(...kafkaEnvChecks);

export function loadConfig(environment: Readonly<Record<string, string | undefined>>): NormalizerConfig {
  return loadServiceConfig(normalizerEnv, environment, (parsed) => ({
    kafka: kafkaSettingsFrom(parsed, { clientId: "stadtfluss-normalizer" }),
    groupId: parsed.KAFKA_GROUP_ID,
    ...(parsed.NORMALIZER_REGISTRY === undefined
      ? {}
      : { registry: { path: parsed.NORMALIZER_REGISTRY, reloadMs: parsed.NORMALIZER_REGISTRY_RELOAD_MS } }),
    unknownDevices: parsed.NORMALIZER_UNKNOWN_DEVICES,
    timeZone: parsed.NORMALIZER_TIME_ZONE,
    useGatewayTime: parsed.NORMALIZER_USE_GATEWAY_TIME,
    timePolicy: { maxFutureMs: parsed.NORMALIZER_MAX_FUTURE, maxAgeMs: parsed.NORMALIZER_MAX_AGE },
    observationVersion: Number(parsed.NORMALIZER_OBSERVATION_VERSION) as ObservationVersion,
    redeliveries: {
      memory: parsed.NORMALIZER_REDELIVERY_MEMORY,
      windowMs: parsed.NORMALIZER_REDELIVERY_WINDOW,
    },
    maxReadings: parsed.NORMALIZER_MAX_READINGS,
  }));
}
