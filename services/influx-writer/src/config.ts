import { env, parseEnv } from "@stadtfluss/config";
import { type InfluxSettings, influxEnv, influxSettingsFrom } from "@stadtfluss/influx";
import { type KafkaSettings, kafkaEnv, kafkaEnvChecks, kafkaSettingsFrom } from "@stadtfluss/kafka";
import { type OpsSettings, opsEnv, opsSettingsFrom, processNice } from "@stadtfluss/telemetry";
import { z } from "zod";

const writerEnv = z
  .object({
    ...kafkaEnv.shape,
    ...influxEnv.shape,
    ...opsEnv.shape,
    /** Below the bridge: see processNice. */
    PROCESS_NICE: processNice(10),
    KAFKA_GROUP_ID: env.text().default("stadtfluss-influx-writer"),
    /** Points per InfluxDB request; a Kafka batch larger than this is written in parts. */
    INFLUX_BATCH_SIZE: env.integer(1, 100_000).default(5_000),
    INFLUX_TIMEOUT_MS: env.integer(100, 120_000).default(10_000),
  })
  .check(...kafkaEnvChecks);

export interface WriterConfig {
  readonly kafka: KafkaSettings;
  readonly influx: InfluxSettings;
  readonly groupId: string;
  readonly batchSize: number;
  readonly timeoutMs: number;
  readonly ops: OpsSettings;
  readonly logLevel: string;
  readonly shutdownDeadlineMs: number;
}

export function loadConfig(environment: Readonly<Record<string, string | undefined>>): WriterConfig {
  const parsed = parseEnv(writerEnv, environment, { secretFiles: ["KAFKA_SASL_PASSWORD", "INFLUX_TOKEN"] });
  return {
    kafka: kafkaSettingsFrom(parsed, { clientId: "stadtfluss-influx-writer" }),
    influx: influxSettingsFrom(parsed),
    groupId: parsed.KAFKA_GROUP_ID,
    batchSize: parsed.INFLUX_BATCH_SIZE,
    timeoutMs: parsed.INFLUX_TIMEOUT_MS,
    ops: opsSettingsFrom(parsed),
    logLevel: parsed.LOG_LEVEL,
    shutdownDeadlineMs: parsed.SHUTDOWN_DEADLINE_MS,
  };
}
