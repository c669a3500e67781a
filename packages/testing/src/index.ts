export { bridgeEnvironment } from "./bridge-environment.ts";
export { type RunningProcess, startProcess } from "./child-process.ts";
export { freePort } from "./free-port.ts";
export {
  type GrafanaDouble,
  type GrafanaDoubleContactPoint,
  type GrafanaDoubleDashboard,
  type GrafanaDoubleDataSource,
  type GrafanaDoubleFolder,
  type GrafanaDoubleOrg,
  type GrafanaDoublePermission,
  type GrafanaDoubleServiceAccount,
  type GrafanaDoubleTeam,
  type GrafanaDoubleUser,
  type GrafanaRole,
  startGrafanaDouble,
} from "./grafana-double.ts";
export { startInfluxV2Front } from "./influx-v2-front.ts";
export { type InfluxAdmin, type InfluxLimits, type InfluxServer, startInfluxDB } from "./influxdb.ts";
export { type KafkaBroker, mockBrokerBinary, startKafkaBroker } from "./kafka-broker.ts";
export { readMessages } from "./kafka-reader.ts";
export {
  type Load,
  type LoadOptions,
  type LoadResult,
  loadDeviceName,
  numberedPayload,
  publishNumbered,
} from "./load-generator.ts";
export { type LocalServerAddresses, type LocalServers, startLocalServers } from "./local-servers.ts";
export { metricSum } from "./metric-sum.ts";
export { type MosquittoServer, startMosquitto } from "./mosquitto.ts";
export {
  type ApiBackendOptions,
  apiBackend,
  type CheckedRequest,
  checkRequest,
  closeObjects,
  describeErrors,
  type Json,
  type OpenAPIBackend,
  queryValues,
  readBody,
  responseProblem,
} from "./openapi-validation.ts";
export {
  type PrometheusAddress,
  type PrometheusServer,
  type PromSample,
  prometheusMissing,
  promQuery,
  requirePrometheus,
  scrapeTargets,
  startPrometheus,
} from "./prometheus.ts";
export { repositoryRoot } from "./repository-root.ts";
export { startTcpProxy, type TcpProxy } from "./tcp-proxy.ts";
export { uniqueName } from "./unique-name.ts";
export { readiness, startWorker, type WorkerProcess, workerMetric } from "./worker-process.ts";
