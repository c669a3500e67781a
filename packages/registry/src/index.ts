export { DeviceRegistry, type RegisteredDevice } from "./device-registry.ts";
export type { DeviceType, FieldMapping } from "./device-type.ts";
export { type LoadedRegistry, loadRegistry, RegistryError } from "./load-registry.ts";
export { createRegistryMetrics, type RegistryMetrics } from "./registry-metrics.ts";
export type { DeclaredDevice, DeclaredDeviceType } from "./registry-schema.ts";
export { type RegistryWatcher, type ReloadOutcome, watchRegistry } from "./registry-watcher.ts";
