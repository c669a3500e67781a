import type { TestProject } from "vitest/node";
import { type LocalServerAddresses, startLocalServers } from "./local-servers.ts";

declare module "vitest" {
  export interface ProvidedContext {
    servers: LocalServerAddresses;
  }
}

/** Starts each real server once per test run; tests isolate by unique names. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const servers = await startLocalServers();
  project.provide("servers", {
    mqttUrl: servers.mosquitto.url,
    kafkaBrokers: servers.kafka.brokers,
    influxUrl: servers.influx.url,
  });
  return () => servers.stop();
}
