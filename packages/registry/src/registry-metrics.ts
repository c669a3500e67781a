import { Counter, Gauge, type Registry } from "prom-client";

/** What an operator alerts on: a rejected registry change goes unnoticed otherwise. */
export interface RegistryMetrics {
  readonly reloads: Counter<"outcome">;
  readonly devices: Gauge;
}

export function createRegistryMetrics(registry: Registry): RegistryMetrics {
  return {
    reloads: new Counter({
      name: "stadtfluss_registry_reloads_total",
      help: "Changes to the device registry files, taken (ok) or refused with the last good registry kept (rejected)",
      labelNames: ["outcome"],
      registers: [registry],
    }),
    devices: new Gauge({
      name: "stadtfluss_registry_devices",
      help: "Devices in the device registry in force",
      registers: [registry],
    }),
  };
}
