import { env, type Secret } from "@stadtfluss/config";
import { ConfigError } from "@stadtfluss/errors";
import { z } from "zod";

/**
 * What reading needs: where InfluxDB is, its token, and the database. Those
 * who only read (the audit, dashboards' query tests, the APIs) name the
 * database directly or give the writer's INFLUX_BUCKET; parse with
 * influxReadEnvChecks (`z.object({ ...influxReadEnv.shape }).check(...influxReadEnvChecks)`).
 */
export const influxReadEnv = z.object({
  INFLUX_URL: env.url(["http", "https"], { credentialsIn: "in INFLUX_TOKEN or INFLUX_TOKEN_FILE" }),
  INFLUX_TOKEN: env.secret().optional(),
  INFLUX_BUCKET: env.text().optional(),
  /** The database name for InfluxQL; InfluxDB 2.x maps it to the bucket. */
  INFLUX_DATABASE: env.text().optional(),
});

export const influxReadEnvChecks = [
  env.atLeastOne(["INFLUX_BUCKET", "INFLUX_DATABASE"], "the database to read is INFLUX_DATABASE or the bucket's"),
] as const;

export interface InfluxReadSettings {
  readonly url: string;
  readonly token?: Secret;
  readonly database: string;
}

/** From the environment parsed with influxReadEnvChecks. */
export function influxReadSettingsFrom(parsed: z.output<typeof influxReadEnv>): InfluxReadSettings {
  const database =
    parsed.INFLUX_DATABASE ?? (parsed.INFLUX_BUCKET === undefined ? undefined : databaseOf(parsed.INFLUX_BUCKET));
  if (database === undefined) throw new ConfigError(["INFLUX_BUCKET: is required but not set (or INFLUX_DATABASE)"]);
  return { url: parsed.INFLUX_URL, ...(parsed.INFLUX_TOKEN ? { token: parsed.INFLUX_TOKEN } : {}), database };
}

/**
 * The same settings reach InfluxDB 1.8+, 2.x and 3.x: all of them take
 * `/api/v2/write` and answer InfluxQL on `/query`. On 1.8 the token is
 * `user:password` and the bucket `database/retention-policy`.
 */
export const influxEnv = z.object({
  INFLUX_URL: influxReadEnv.shape.INFLUX_URL,
  INFLUX_TOKEN: influxReadEnv.shape.INFLUX_TOKEN,
  INFLUX_ORG: z.string().default(""),
  INFLUX_BUCKET: env.text(),
  INFLUX_DATABASE: influxReadEnv.shape.INFLUX_DATABASE,
  /**
   * Gzip write bodies. Off by default: next to InfluxDB on the city's own network
   * the CPU costs more than the bytes saved; on for a remote or hosted InfluxDB.
   */
  INFLUX_GZIP: env.flag().default(false),
});

/**
 * What writing needs. Without `bucket` every write names its database
 * (ObservationWriter.writeRouted: a database per tenant and class).
 */
export interface InfluxWriteSettings {
  readonly url: string;
  readonly token?: Secret;
  readonly org: string;
  readonly bucket?: string;
  readonly gzip: boolean;
}

export interface InfluxSettings extends InfluxReadSettings, InfluxWriteSettings {
  readonly org: string;
  readonly bucket: string;
  readonly gzip: boolean;
}

export function influxSettingsFrom(parsed: z.output<typeof influxEnv>): InfluxSettings {
  return {
    ...influxReadSettingsFrom(parsed),
    org: parsed.INFLUX_ORG,
    bucket: parsed.INFLUX_BUCKET,
    gzip: parsed.INFLUX_GZIP,
  };
}

/** On 1.8 a bucket is `database/retention-policy`. */
function databaseOf(bucket: string): string {
  return bucket.split("/")[0] ?? bucket;
}
