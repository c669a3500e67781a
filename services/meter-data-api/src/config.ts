import { env } from "@stadtfluss/config";
import { ConfigError } from "@stadtfluss/errors";
import { type InfluxReadSettings, influxReadEnv } from "@stadtfluss/influx";
import { loadRegistry } from "@stadtfluss/registry";
import { loadServiceConfig, opsEnv } from "@stadtfluss/telemetry";
import { z } from "zod";
import { type UtilityReader, utilityReaders } from "./access/utility-readers.ts";

const meterApiEnv = z.object({
  ...opsEnv.shape,
  INFLUX_URL: influxReadEnv.shape.INFLUX_URL,
  /** The service's own read credential: it must read every utility's personal database. */
  INFLUX_TOKEN: influxReadEnv.shape.INFLUX_TOKEN,
  /** The platform declaration (registry file or folder): its readers are the utilities. */
  METER_DECLARATION: env.text(),
  /** The utilities' API tokens, hashed (written by `token create`). */
  METER_TOKENS_FILE: env.text(),
  /** One append-only file per reader: `<dir>/<reader>.jsonl`. */
  METER_ACCESS_LOG_DIR: env.text(),
  METER_API_HOST: env.text().default("0.0.0.0"),
  METER_API_PORT: env.port().default(8080),
  /** Local days and interval boundaries are in this zone. */
  METER_TIME_ZONE: env.timeZone().default("Europe/Berlin"),
  /** How old a reading may be to stand for the register at a boundary (below the 15-minute resolution). */
  METER_BOUNDARY_TOLERANCE: env
    .duration()
    .pipe(z.number().min(1_000, "must be at least 1s").max(899_999, "must be below 15m, the finest resolution"))
    .default(5 * 60_000),
  /** A register rising faster than this between two readings was exchanged, not consumed. */
  METER_MAX_POWER_KW: env.integer(1, 1_000_000).default(1000),
  /** The longest period one request may ask for. */
  METER_MAX_PERIOD: env.duration().default(93 * 86_400_000),
});

export interface MeterApiConfig {
  readonly influx: Omit<InfluxReadSettings, "database">;
  readonly declarationPath: string;
  readonly readers: ReadonlyMap<string, UtilityReader>;
  readonly tokensFile: string;
  readonly accessLogDir: string;
  readonly http: { readonly host: string; readonly port: number };
  readonly timeZone: string;
  readonly toleranceMs: number;
  readonly maxPowerKw: number;
  readonly maxPeriodMs: number;
}

/** Every setting checked, and the declaration loaded: a problem with either stops start-up (78). */
export function loadConfig(environment: Readonly<Record<string, string | undefined>>) {
  return loadServiceConfig(meterApiEnv, environment, (parsed): MeterApiConfig => {
    let readers: Map<string, UtilityReader>;
    try {
      readers = utilityReaders(loadRegistry(parsed.METER_DECLARATION));
    } catch (error) {
      if (error instanceof ConfigError)
        throw new ConfigError(error.problems.map((problem) => `METER_DECLARATION: ${problem}`));
      throw error;
    }
    return {
      influx: { url: parsed.INFLUX_URL, ...(parsed.INFLUX_TOKEN ? { token: parsed.INFLUX_TOKEN } : {}) },
      declarationPath: parsed.METER_DECLARATION,
      readers,
      tokensFile: parsed.METER_TOKENS_FILE,
      accessLogDir: parsed.METER_ACCESS_LOG_DIR,
      http: { host: parsed.METER_API_HOST, port: parsed.METER_API_PORT },
      timeZone: parsed.METER_TIME_ZONE,
      toleranceMs: parsed.METER_BOUNDARY_TOLERANCE,
      maxPowerKw: parsed.METER_MAX_POWER_KW,
      maxPeriodMs: parsed.METER_MAX_PERIOD,
    };
  });
}
