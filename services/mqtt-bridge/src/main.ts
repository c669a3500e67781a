import { loadOrExit } from "@stadtfluss/config";
import { createKafka, createProducer, topicsFor } from "@stadtfluss/kafka";
import { createLogger, createPipelineMetrics, runService } from "@stadtfluss/telemetry";
import mqtt from "mqtt";
import { loadConfig } from "./config.ts";
import { createBridge } from "./mqtt-bridge.ts";

const config = loadOrExit("mqtt-bridge", () => loadConfig(process.env));
const logger = createLogger("mqtt-bridge", config.logLevel);
const metrics = createPipelineMetrics("mqtt-bridge");
const kafka = createKafka(config.kafka, logger);

await runService({
  logger,
  registry: metrics.registry,
  ops: config.ops,
  shutdownDeadlineMs: config.shutdownDeadlineMs,
  worker: createBridge({
    sources: config.sources,
    producer: createProducer(kafka, logger),
    topics: topicsFor(config.kafka.topicPrefix),
    logger,
    metrics,
    connectMqtt: mqtt.connect,
    maxPayloadBytes: config.maxPayloadBytes,
    maxInFlight: config.maxInFlight,
    maxInFlightBytes: config.maxInFlightBytes,
    lingerMs: config.lingerMs,
    maxRequestBytes: config.kafka.maxRequestBytes,
  }),
});
