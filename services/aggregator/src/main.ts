import { setLogger } from "@influxdata/influxdb-client";
import { loadOrExit } from "@stadtfluss/config";
import { ObservationWriter } from "@stadtfluss/influx";
import { createConsumer, createGroupLease, createKafka, createProducer } from "@stadtfluss/kafka";
import { createRegistryMetrics, loadRegistry, watchRegistry } from "@stadtfluss/registry";
import { createLogger, createPipelineMetrics, runService } from "@stadtfluss/telemetry";
import { createAggregateTopic } from "./aggregate-topic.ts";
import { createAggregator, type ScheduledResolution } from "./aggregator.ts";
import { createAggregatorMetrics } from "./aggregator-metrics.ts";
import { loadConfig } from "./config.ts";
import { calendarResolution, fixedResolution } from "./resolution.ts";

const config = loadOrExit("aggregator", () => loadConfig(process.env));
// A broken declaration stops start-up like a bad setting (exit 78), every problem with file:line.
const initialDeclaration = loadOrExit("aggregator", () => loadRegistry(config.declaration.path));
const logger = createLogger("aggregator", config.logLevel);
const pipelineMetrics = createPipelineMetrics("aggregator");
const metrics = createAggregatorMetrics(pipelineMetrics.registry);
const declaration = watchRegistry({
  path: config.declaration.path,
  initial: initialDeclaration,
  intervalMs: config.declaration.reloadMs,
  logger,
  metrics: createRegistryMetrics(pipelineMetrics.registry),
});
logger.info(
  { path: config.declaration.path, tenants: initialDeclaration.tenants.map((tenant) => tenant.id) },
  "declaration loaded",
);
// The client logs failed writes to the console; the run reports them itself.
setLogger({
  error: (message, error) => logger.debug({ err: error }, message),
  warn: (message, error) => logger.debug({ err: error }, message),
});

const kafka = createKafka(config.kafka, logger);
// Household figures at one resolution only (days; the short window where there is one),
// so that no published sum of windows can be subtracted from another.
const resolutions: ScheduledResolution[] = [
  { resolution: calendarResolution("hour", config.timeZone), schedule: config.schedules.hourly },
  {
    resolution: calendarResolution("day", config.timeZone),
    schedule: config.schedules.daily,
    personal: !config.schedules.short,
  },
];
if (config.schedules.short) {
  resolutions.push({
    resolution: fixedResolution(config.schedules.short.lengthMs),
    schedule: config.schedules.short.schedule,
    personal: true,
  });
}

const lease = createGroupLease({
  consumer: createConsumer(kafka, config.kafka, config.groupId),
  topic: config.leaseTopic,
  sessionTimeoutMs: config.kafka.sessionTimeoutMs,
  handoverMs: config.handoverMs,
  logger,
  onChange(held) {
    metrics.leaseHeld.set(held ? 1 : 0);
    // Windows missed while no replica ran are caught up at once, not at the next tick.
    if (held) void aggregator.runAll();
  },
});
const aggregator = createAggregator({
  lease,
  declaration: declaration.declaration,
  influx: { url: config.influx.url, ...(config.influx.token ? { token: config.influx.token } : {}) },
  writer: new ObservationWriter(config.influx, { timeoutMs: config.timeoutMs, maxPoints: 5_000 }),
  resolutions,
  timeZone: config.timeZone,
  run: config.run,
  privacy: config.privacy,
  ...(config.topic
    ? { topic: createAggregateTopic(createProducer(kafka, logger), config.topic, config.kafka.maxRequestBytes) }
    : {}),
  logger,
  metrics,
});

await runService({
  logger,
  registry: pipelineMetrics.registry,
  ops: config.ops,
  shutdownDeadlineMs: config.shutdownDeadlineMs,
  worker: {
    ...aggregator,
    async stop() {
      declaration.stop();
      await aggregator.stop();
    },
  },
});
