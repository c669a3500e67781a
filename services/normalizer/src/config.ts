import { readFileSync } from "node:fs";
import { env, parseEnv } from "@stadtfluss/config";
import { type KafkaSettings, kafkaEnv, kafkaSettingsFrom } from "@stadtfluss/kafka";
import { opsEnv } from "@stadtfluss/telemetry";
import { z } from "zod";

const normalizerEnv = z.object({
  ...kafkaEnv.shape,
  ...opsEnv.shape,
  KAFKA_GROUP_ID: env.text().default("stadtfluss-normalizer"),
});

export interface NormalizerConfig {
  readonly kafka: KafkaSettings;
  readonly groupId: string;
  readonly ops: { readonly host: string; readonly port: number };
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
    ops: { host: parsed.OPS_HOST, port: parsed.OPS_PORT },
    logLevel: parsed.LOG_LEVEL,
    shutdownDeadlineMs: parsed.SHUTDOWN_DEADLINE_MS,
  };
}
