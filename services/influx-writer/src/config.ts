import { env } from "@stadtfluss/config";
import { type InfluxSettings, influxEnv, influxSettingsFrom } from "@stadtfluss/influx";
import { type KafkaSettings, kafkaEnv, kafkaEnvChecks, kafkaSettingsFrom } from "@stadtfluss/kafka";
import { loadServiceConfig, opsEnv, processNice, type ServiceSettings } from "@stadtfluss/telemetry";
import { z } from "zod";

export interface WriterConfig extends ServiceSettings {
  readonly kafka: KafkaSettings;
  readonly influx: InfluxSettings;
  readonly groupId: string;
  readonly batchSize: number;
  readonly timeoutMs: number;
}

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

export function loadConfig(environment: Readonly<Record<string, string | undefined>>): WriterConfig {
  return loadServiceConfig(writerEnv, environment, (parsed) => ({
    kafka: kafkaSettingsFrom(parsed, { clientId: "stadtfluss-influx-writer" }),
    influx: influxSettingsFrom(parsed),
    groupId: parsed.KAFKA_GROUP_ID,
    batchSize: parsed.INFLUX_BATCH_SIZE,
    timeoutMs: parsed.INFLUX_TIMEOUT_MS,
  }));
}
