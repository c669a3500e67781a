import { loadOrExit } from "@stadtfluss/config";
import { createConsumer, createKafka, createProducer, topicsFor } from "@stadtfluss/kafka";
import { createLogger, createPipelineMetrics, runService } from "@stadtfluss/telemetry";
import { loadConfig } from "./config.ts";
import { decoders } from "./decoders/index.ts";
import { defaultDecoderContext } from "./normalize.ts";
import { createNormalizer } from "./normalizer.ts";

const config = loadOrExit("normalizer", () => loadConfig(process.env));
const logger = createLogger("normalizer", config.logLevel);
const metrics = createPipelineMetrics("normalizer");
const kafka = createKafka(config.kafka, logger);

await runService({
  logger,
  registry: metrics.registry,
  ops: config.ops,
  shutdownDeadlineMs: config.shutdownDeadlineMs,
  worker: createNormalizer({
    consumer: createConsumer(kafka, config.kafka, config.groupId),
    producer: createProducer(kafka),
    topics: topicsFor(config.kafka.topicPrefix),
    normalizeOptions: { decoders, context: defaultDecoderContext },
    logger,
    metrics,
  }),
});
