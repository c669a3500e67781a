export {
  DATA_CLASSES,
  type DataClass,
  databaseName,
  parseDatabaseName,
  principalNameSchema,
  tenantIdSchema,
} from "./database-name.ts";
export { AGGREGATOR, DEFAULT_WRITER, type DesiredStorage, desiredStorage, METER_DATA_API } from "./desired-storage.ts";
export { DeviceRegistry, type RegisteredDevice } from "./device-registry.ts";
export type { DeviceType, FieldMapping } from "./device-type.ts";
export { describeInterval, intervalSchema } from "./interval.ts";
export { type LoadedRegistry, loadRegistry, RESERVED_PRINCIPALS, RegistryError } from "./load-registry.ts";
export type {
  FolderPermission,
  GrafanaAlerting,
  GrafanaDeclaration,
  GrafanaTenant,
  MqttDeclaration,
  PlatformDeclaration,
  Reader,
  Tenant,
} from "./platform-declaration.ts";
export { createRegistryMetrics, type RegistryMetrics } from "./registry-metrics.ts";
export type { DeclaredDevice, DeclaredDeviceType, DeclaredReader, DeclaredTenant } from "./registry-schema.ts";
export { type RegistryWatcher, type ReloadOutcome, watchRegistry } from "./registry-watcher.ts";
export { DEFAULT_RETENTION, describeRetention, type RetentionMs } from "./retention.ts";
