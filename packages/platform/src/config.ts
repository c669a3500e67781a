import { env, parseEnv, Secret } from "@stadtfluss/config";
import type { InfluxReadSettings } from "@stadtfluss/influx";
import { z } from "zod";

const platformEnv = z.object({
  INFLUX_URL: env.url(["http", "https"], {
    credentialsIn: "in INFLUX_USERNAME and INFLUX_PASSWORD or INFLUX_PASSWORD_FILE",
  }),
  /** An InfluxDB admin: creating databases, users and grants needs one. */
  INFLUX_USERNAME: env.text(),
  INFLUX_PASSWORD: env.secret(),
  /** Only databases and users whose names start with it are dropped when undeclared. */
  PLATFORM_MANAGED_PREFIX: z.string().default(""),
});

export interface PlatformConfig {
  /** The admin's credential as 1.8 takes it: `Token user:password`. */
  readonly influx: Omit<InfluxReadSettings, "database">;
  readonly managedPrefix: string;
}

/** INFLUX_URL, INFLUX_USERNAME, INFLUX_PASSWORD (or INFLUX_PASSWORD_FILE), PLATFORM_MANAGED_PREFIX. */
export function loadConfig(environment: Readonly<Record<string, string | undefined>>): PlatformConfig {
  const parsed = parseEnv(platformEnv, environment);
  return {
    influx: {
      url: parsed.INFLUX_URL,
      token: new Secret(`${parsed.INFLUX_USERNAME}:${parsed.INFLUX_PASSWORD.reveal()}`),
    },
    managedPrefix: parsed.PLATFORM_MANAGED_PREFIX,
  };
}
