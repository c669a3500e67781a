export { createLogger, type Logger } from "./logger.ts";
export { createPipelineMetrics, type PipelineMetrics } from "./metrics.ts";
export { type OpsServer, startOpsServer } from "./ops-server.ts";
export {
  type OpsSettings,
  opsEnv,
  opsSettingsFrom,
  processNice,
  runService,
  type Worker,
  type WorkerHooks,
} from "./run-service.ts";
export { loadServiceConfig, type ServiceSettings } from "./service-config.ts";
