import { env, parseEnv, type Secret } from "@stadtfluss/config";
import { z } from "zod";

const provisionerEnv = z.object({
  GRAFANA_URL: env.url(["http", "https"], {
    credentialsIn: "in GRAFANA_ADMIN_USER and GRAFANA_ADMIN_PASSWORD or GRAFANA_ADMIN_PASSWORD_FILE",
  }),
  /** A Grafana server admin: only one creates organisations and adds users to them. */
  GRAFANA_ADMIN_USER: env.text().default("admin"),
  GRAFANA_ADMIN_PASSWORD: env.secret(),
});

export interface ProvisionerConfig {
  readonly url: string;
  readonly user: string;
  readonly password: Secret;
}

/** GRAFANA_URL, GRAFANA_ADMIN_USER (Grafana's own default `admin`), GRAFANA_ADMIN_PASSWORD (or GRAFANA_ADMIN_PASSWORD_FILE). */
export function loadConfig(environment: Readonly<Record<string, string | undefined>>): ProvisionerConfig {
  const parsed = parseEnv(provisionerEnv, environment);
  return { url: parsed.GRAFANA_URL, user: parsed.GRAFANA_ADMIN_USER, password: parsed.GRAFANA_ADMIN_PASSWORD };
}
