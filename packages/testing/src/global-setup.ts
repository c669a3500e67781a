import type { TestProject } from "vitest/node";
import { startInfluxDB } from "./influxdb.ts";
import { type LocalServerAddresses, startLocalServers } from "./local-servers.ts";
import { type PrometheusAddress, prometheusMissing, startPrometheus } from "./prometheus.ts";
import { startTogether } from "./start-together.ts";

/** The auth-enabled InfluxDB and its first admin; queries and writes go through the same front. */
export interface InfluxAuthAddress {
  readonly url: string;
  readonly username: string;
  readonly password: string;
}

declare module "vitest" {
  export interface ProvidedContext {
    servers: LocalServerAddresses;
    influxAuth: InfluxAuthAddress;
    /** Where Prometheus is missing: why, for the tests that need it to fail with (requirePrometheus). */
    prometheus: PrometheusAddress | { readonly missing: string };
  }
}

/** Starts each real server once per test run; tests isolate by unique names. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // The second InfluxDB runs with `auth-enabled = true` for the tests of who may read what.
  // Prometheus scrapes the workers of the dashboard tests; only those fail where it is not installed.
  const missing = prometheusMissing();
  const [servers, influxAuth, prometheus] = await startTogether([
    startLocalServers(),
    startInfluxDB({ auth: true }),
    missing ? Promise.resolve(undefined) : startPrometheus(),
  ]);
  if (!influxAuth.admin) throw new Error("the auth-enabled InfluxDB has no admin");
  project.provide("servers", {
    mqttUrl: servers.mosquitto.url,
    kafkaBrokers: servers.kafka.brokers,
    influxUrl: servers.influx.url,
  });
  project.provide("influxAuth", { url: influxAuth.url, ...influxAuth.admin });
  project.provide(
    "prometheus",
    prometheus ? { url: prometheus.url, targetsDir: prometheus.targetsDir } : { missing: missing ?? "" },
  );
  return async () => {
    await Promise.allSettled([servers.stop(), influxAuth.stop(), prometheus?.stop()]);
  };
}
