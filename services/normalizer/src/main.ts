import { loadOrExit } from "@stadtfluss/config";
import { createConsumer, createKafka, createProducer, topicsFor } from "@stadtfluss/kafka";
import { createRegistryMetrics, loadRegistry, watchRegistry } from "@stadtfluss/registry";
import { createLogger, createPipelineMetrics, runService } from "@stadtfluss/telemetry";
import { createCodecSandbox } from "./codecs/codec-sandbox.ts";
import { loadConfig } from "./config.ts";
import { decoders } from "./decoders/index.ts";
import { defaultDecoderContext } from "./normalize.ts";
import { createNormalizer } from "./normalizer.ts";

const config = loadOrExit("normalizer", () => loadConfig(process.env));
// A broken registry stops start-up like a bad setting (exit 78), every problem with file:line.
const initialRegistry = loadOrExit("normalizer", () => config.registry && loadRegistry(config.registry.path));
const logger = createLogger("normalizer", config.logLevel);
const metrics = createPipelineMetrics("normalizer");
const kafka = createKafka(config.kafka, logger);

const devices =
  config.registry && initialRegistry
    ? watchRegistry({
        path: config.registry.path,
        initial: initialRegistry,
        intervalMs: config.registry.reloadMs,
        logger,
        metrics: createRegistryMetrics(metrics.registry),
      })
    : undefined;
if (devices) logger.info({ path: config.registry?.path, devices: devices.current().size }, "device registry loaded");

// Device types' codecs (vendor code) run only inside this sandbox.
const codecs = await createCodecSandbox();

const normalizer = createNormalizer({
  consumer: createConsumer(kafka, config.kafka, config.groupId),
  producer: createProducer(kafka, logger),
  topics: topicsFor(config.kafka.topicPrefix),
  maxRequestBytes: config.kafka.maxRequestBytes,
  normalizeOptions: {
    decoders,
    context: {
      ...defaultDecoderContext,
      timeZone: config.timeZone,
      useGatewayTime: config.useGatewayTime,
      runCodec: codecs.run,
    },
    ...(devices ? { registry: devices.current } : {}),
    unknownDevices: config.unknownDevices,
    timePolicy: config.timePolicy,
    observationVersion: config.observationVersion,
    maxReadings: config.maxReadings,
  },
  logger,
  metrics,
  redeliveries: config.redeliveries,
});

await runService({
  logger,
  registry: metrics.registry,
  ops: config.ops,
  shutdownDeadlineMs: config.shutdownDeadlineMs,
  worker: {
    ...normalizer,
    async stop() {
      devices?.stop();
      await normalizer.stop();
      codecs.dispose();
    },
  },
});
