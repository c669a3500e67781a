import type { TestProject } from "vitest/node";
import { startInfluxDB } from "./influxdb.ts";
import { type LocalServerAddresses, startLocalServers } from "./local-servers.ts";

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
  }
}

/** Starts each real server once per test run; tests isolate by unique names. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // The second InfluxDB runs with `auth-enabled = true` for the tests of who may read what.
  const [servers, influxAuth] = await Promise.all([startLocalServers(), startInfluxDB({ auth: true })]);
  if (!influxAuth.admin) throw new Error("the auth-enabled InfluxDB has no admin");
  project.provide("servers", {
    mqttUrl: servers.mosquitto.url,
    kafkaBrokers: servers.kafka.brokers,
    influxUrl: servers.influx.url,
  });
  project.provide("influxAuth", { url: influxAuth.url, ...influxAuth.admin });
  return async () => {
    await Promise.allSettled([servers.stop(), influxAuth.stop()]);
  };
}
