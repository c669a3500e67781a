import { setLogger } from "@influxdata/influxdb-client";
import { loadOrExit } from "@stadtfluss/config";
import { ObservationWriter } from "@stadtfluss/influx";
import { createConsumer, createKafka, createProducer, topicsFor } from "@stadtfluss/kafka";
import { createRegistryMetrics, loadRegistry, watchRegistry } from "@stadtfluss/registry";
import { createLogger, createPipelineMetrics, runService } from "@stadtfluss/telemetry";
import { loadConfig } from "./config.ts";
import { createInfluxWriter } from "./influx-writer.ts";
import { databaseByTenant, singleBucket } from "./observation-database.ts";

const config = loadOrExit("influx-writer", () => loadConfig(process.env));
// A broken declaration stops start-up like a bad setting (exit 78), every problem with file:line.
const initialDeclaration = loadOrExit(
  "influx-writer",
  () => config.declaration && loadRegistry(config.declaration.path),
);
const logger = createLogger("influx-writer", config.logLevel);
const metrics = createPipelineMetrics("influx-writer");
const kafka = createKafka(config.kafka, logger);
const declaration =
  config.declaration && initialDeclaration
    ? watchRegistry({
        path: config.declaration.path,
        initial: initialDeclaration,
        intervalMs: config.declaration.reloadMs,
        logger,
        metrics: createRegistryMetrics(metrics.registry),
      })
    : undefined;
if (declaration) {
  const tenants = declaration.declaration().tenants.map((tenant) => tenant.id);
  logger.info({ path: config.declaration?.path, tenants }, "declaration loaded, writing per tenant and class");
}
// The client logs failed writes to the console; the worker reports them itself.
setLogger({
  error: (message, error) => logger.debug({ err: error }, message),
  warn: (message, error) => logger.debug({ err: error }, message),
});

const writer = createInfluxWriter({
  consumer: createConsumer(kafka, config.kafka, config.groupId),
  producer: createProducer(kafka, logger),
  writer: new ObservationWriter(config.influx, { timeoutMs: config.timeoutMs, maxPoints: config.batchSize }),
  databaseOf: declaration ? databaseByTenant(declaration.declaration) : singleBucket(config.influx.bucket ?? ""),
  topics: topicsFor(config.kafka.topicPrefix),
  batchSize: config.batchSize,
  maxRequestBytes: config.kafka.maxRequestBytes,
  logger,
  metrics,
});

await runService({
  logger,
  registry: metrics.registry,
  ops: config.ops,
  shutdownDeadlineMs: config.shutdownDeadlineMs,
  worker: {
    ...writer,
    async stop() {
      declaration?.stop();
      await writer.stop();
    },
  },
});
