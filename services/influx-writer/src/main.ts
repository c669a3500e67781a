import { setLogger } from "@influxdata/influxdb-client";
import { loadOrExit } from "@stadtfluss/config";
import { ObservationWriter } from "@stadtfluss/influx";
import { createConsumer, createKafka, createProducer, topicsFor } from "@stadtfluss/kafka";
import { createLogger, createPipelineMetrics, runService } from "@stadtfluss/telemetry";
import { loadConfig } from "./config.ts";
import { createInfluxWriter } from "./influx-writer.ts";

const config = loadOrExit("influx-writer", () => loadConfig(process.env));
const logger = createLogger("influx-writer", config.logLevel);
const metrics = createPipelineMetrics("influx-writer");
const kafka = createKafka(config.kafka, logger);
// The client logs failed writes to the console; the worker reports them itself.
setLogger({
  error: (message, error) => logger.debug({ err: error }, message),
  warn: (message, error) => logger.debug({ err: error }, message),
});

await runService({
  logger,
  registry: metrics.registry,
  ops: config.ops,
  shutdownDeadlineMs: config.shutdownDeadlineMs,
  worker: createInfluxWriter({
    consumer: createConsumer(kafka, config.kafka, config.groupId),
    producer: createProducer(kafka, logger),
    writer: new ObservationWriter(config.influx, { timeoutMs: config.timeoutMs, maxPoints: config.batchSize }),
    topics: topicsFor(config.kafka.topicPrefix),
    batchSize: config.batchSize,
    maxRequestBytes: config.kafka.maxRequestBytes,
    logger,
    metrics,
  }),
});
