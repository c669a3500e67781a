import { parseEnv } from "@stadtfluss/config";
import { ConfigError } from "@stadtfluss/errors";
import {
  type InfluxReadSettings,
  influxReadEnv,
  influxReadEnvChecks,
  influxReadSettingsFrom,
} from "@stadtfluss/influx";
import { z } from "zod";

const auditEnv = z.object({ ...influxReadEnv.shape }).check(...influxReadEnvChecks);

/** Where to read: INFLUX_URL, INFLUX_TOKEN, and INFLUX_DATABASE or the writer's INFLUX_BUCKET. */
export function loadConfig(environment: Readonly<Record<string, string | undefined>>): InfluxReadSettings {
  return influxReadSettingsFrom(parseEnv(auditEnv, environment));
}

/**
 * With `--declaration` the declaration names the databases: INFLUX_URL and
 * INFLUX_TOKEN only, and a database setting beside it would be ambiguous.
 */
export function loadDeclaredConfig(
  environment: Readonly<Record<string, string | undefined>>,
): Omit<InfluxReadSettings, "database"> {
  const parsed = parseEnv(influxReadEnv, environment);
  const ambiguous = (["INFLUX_DATABASE", "INFLUX_BUCKET"] as const).filter((name) => parsed[name] !== undefined);
  if (ambiguous.length > 0)
    throw new ConfigError(
      ambiguous.map((name) => `${name}: excludes --declaration, which names the databases of each tenant; unset it`),
    );
  return { url: parsed.INFLUX_URL, ...(parsed.INFLUX_TOKEN ? { token: parsed.INFLUX_TOKEN } : {}) };
}
