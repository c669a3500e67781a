import { env, parseEnv } from "@stadtfluss/config";
import { z } from "zod";
import type { Influx2Settings } from "./api.ts";

const versionEnv = z.object({
  /** Which InfluxDB API the platform manages: 1 (databases, users, grants) or 2 (buckets, tokens). */
  INFLUX_API_VERSION: z.enum(["1", "2"], { error: "must be 1 (InfluxDB 1.x) or 2 (InfluxDB 2.x)" }).default("1"),
});

const influx2Env = versionEnv.extend({
  INFLUX_URL: env.url(["http", "https"], { credentialsIn: "in INFLUX_TOKEN or INFLUX_TOKEN_FILE" }),
  /** The organisation whose buckets and tokens are managed. */
  INFLUX_ORG: env.text(),
  /** An operator token, or an all-access token of the organisation. */
  INFLUX_TOKEN: env.secret(),
  PLATFORM_MANAGED_PREFIX: z.string().default(""),
});

export interface Influx2Config {
  readonly influx: Influx2Settings;
  readonly managedPrefix: string;
}

/**
 * With INFLUX_API_VERSION=2: INFLUX_URL, INFLUX_ORG, INFLUX_TOKEN (or
 * INFLUX_TOKEN_FILE) and PLATFORM_MANAGED_PREFIX. Null with 1 or unset (the
 * 1.x settings apply); a bad INFLUX_API_VERSION is a ConfigError naming it.
 */
export function loadInflux2Config(environment: Readonly<Record<string, string | undefined>>): Influx2Config | null {
  const { INFLUX_API_VERSION } = parseEnv(versionEnv, environment);
  if (INFLUX_API_VERSION !== "2") return null;
  const parsed = parseEnv(influx2Env, environment);
  return {
    influx: { url: parsed.INFLUX_URL, org: parsed.INFLUX_ORG, token: parsed.INFLUX_TOKEN },
    managedPrefix: parsed.PLATFORM_MANAGED_PREFIX,
  };
}
