import { env } from "@stadtfluss/config";
import { ConfigError } from "@stadtfluss/errors";
import { type InfluxSettings, type InfluxWriteSettings, influxEnv, influxSettingsFrom } from "@stadtfluss/influx";
import { type KafkaSettings, kafkaEnv, kafkaEnvChecks, kafkaSettingsFrom } from "@stadtfluss/kafka";
import { loadServiceConfig, opsEnv, processNice, type ServiceSettings } from "@stadtfluss/telemetry";
import { z } from "zod";

export interface WriterConfig extends ServiceSettings {
  readonly kafka: KafkaSettings;
  /** With `bucket` (INFLUX_BUCKET) everything goes there; without it, to the declaration's databases. */
  readonly influx: InfluxWriteSettings & { readonly database?: string };
  /** WRITER_DECLARATION: each observation to the database of its tenant and privacy class. */
  readonly declaration?: { readonly path: string; readonly reloadMs: number };
  readonly groupId: string;
  readonly batchSize: number;
  readonly timeoutMs: number;
}

/** The two layouts exclude each other: named on the setting that chose the routed one. */
const ONE_LAYOUT =
  "INFLUX_BUCKET (one bucket for every tenant, the layout before tenants) or WRITER_DECLARATION (a database per tenant and class)";

const writerEnv = z
  .object({
    ...kafkaEnv.shape,
    ...influxEnv.shape,
    INFLUX_BUCKET: influxEnv.shape.INFLUX_BUCKET.optional(),
    ...opsEnv.shape,
    /** Below the bridge: see processNice. */
    PROCESS_NICE: processNice(10),
    KAFKA_GROUP_ID: env.text().default("stadtfluss-influx-writer"),
    /** The registry (a YAML file, or a folder whose YAML files are merged) declaring the tenants. */
    WRITER_DECLARATION: env.text().optional(),
    WRITER_DECLARATION_RELOAD_MS: env.integer(100, 3_600_000).default(5_000),
    /** Points per InfluxDB request; a Kafka batch larger than this is written in parts. */
    INFLUX_BATCH_SIZE: env.integer(1, 100_000).default(5_000),
    INFLUX_TIMEOUT_MS: env.integer(100, 120_000).default(10_000),
  })
  .check(
    env.atLeastOne(["INFLUX_BUCKET", "WRITER_DECLARATION"], "the one bucket, or the declaration naming the databases"),
    z.superRefine<Record<string, unknown>>(
      (values, ctx) => {
        if (values.WRITER_DECLARATION === undefined) return;
        for (const name of ["INFLUX_BUCKET", "INFLUX_DATABASE"]) {
          if (values[name] === undefined) continue;
          ctx.addIssue({
            code: "custom",
            path: ["WRITER_DECLARATION"],
            message: `excludes ${name}: the declaration names every database; set either ${ONE_LAYOUT}`,
          });
        }
      },
      { when: (payload) => typeof payload.value === "object" && payload.value !== null },
    ),
    ...kafkaEnvChecks,
  );

export function loadConfig(environment: Readonly<Record<string, string | undefined>>): WriterConfig {
  return loadServiceConfig(writerEnv, environment, (parsed) => {
    const declaration = parsed.WRITER_DECLARATION;
    const bucket = parsed.INFLUX_BUCKET;
    // The checks above leave exactly one of them.
    if ((declaration === undefined) === (bucket === undefined)) throw new ConfigError([`set ${ONE_LAYOUT}`]);
    const influx: InfluxSettings | InfluxWriteSettings =
      bucket === undefined
        ? {
            url: parsed.INFLUX_URL,
            ...(parsed.INFLUX_TOKEN ? { token: parsed.INFLUX_TOKEN } : {}),
            org: parsed.INFLUX_ORG,
            gzip: parsed.INFLUX_GZIP,
          }
        : influxSettingsFrom({ ...parsed, INFLUX_BUCKET: bucket });
    return {
      kafka: kafkaSettingsFrom(parsed, { clientId: "stadtfluss-influx-writer" }),
      influx,
      ...(declaration === undefined
        ? {}
        : { declaration: { path: declaration, reloadMs: parsed.WRITER_DECLARATION_RELOAD_MS } }),
      groupId: parsed.KAFKA_GROUP_ID,
      batchSize: parsed.INFLUX_BATCH_SIZE,
      timeoutMs: parsed.INFLUX_TIMEOUT_MS,
    };
  });
}
