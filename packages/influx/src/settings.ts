import { env, type Secret } from "@stadtfluss/config";
import { z } from "zod";

/**
 * The same settings reach InfluxDB 1.8+, 2.x and 3.x: all of them take
 * `/api/v2/write` and answer InfluxQL on `/query`. On 1.8 the token is
 * `user:password` and the bucket `database/retention-policy`.
 */
export const influxEnv = z.object({
  INFLUX_URL: env.url(["http", "https"], { credentialsIn: "in INFLUX_TOKEN or INFLUX_TOKEN_FILE" }),
  INFLUX_TOKEN: env.secret().optional(),
  INFLUX_ORG: z.string().default(""),
  INFLUX_BUCKET: env.text(),
  /** The database name for InfluxQL; InfluxDB 2.x maps it to the bucket. */
  INFLUX_DATABASE: env.text().optional(),
  /**
   * Gzip write bodies. Off by default: next to InfluxDB on the city's own network
   * the CPU costs more than the bytes saved; on for a remote or hosted InfluxDB.
   */
  INFLUX_GZIP: env.flag().default(false),
});

export interface InfluxSettings {
  readonly url: string;
  readonly token?: Secret;
  readonly org: string;
  readonly bucket: string;
  readonly database: string;
  readonly gzip: boolean;
}

export function influxSettingsFrom(parsed: z.output<typeof influxEnv>): InfluxSettings {
  return {
    url: parsed.INFLUX_URL,
    ...(parsed.INFLUX_TOKEN ? { token: parsed.INFLUX_TOKEN } : {}),
    org: parsed.INFLUX_ORG,
    bucket: parsed.INFLUX_BUCKET,
    database: parsed.INFLUX_DATABASE ?? parsed.INFLUX_BUCKET.split("/")[0] ?? parsed.INFLUX_BUCKET,
    gzip: parsed.INFLUX_GZIP,
  };
}
