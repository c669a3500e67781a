import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";

/** The metrics every worker exports, with the same names, so one dashboard shows all stages. */
export interface PipelineMetrics {
  readonly registry: Registry;
  readonly messagesIn: Counter<"worker">;
  readonly messagesOut: Counter<"worker" | "topic">;
  readonly messagesFailed: Counter<"worker" | "stage" | "error_class">;
  readonly deadLetters: Counter<"worker" | "stage">;
  readonly inFlight: Gauge<"worker">;
  readonly batchSeconds: Histogram<"worker" | "sink">;
  readonly retries: Counter<"worker" | "sink">;
  readonly unmappedFields: Counter<"worker">;
  readonly consumerLag: Gauge<"worker" | "topic" | "partition">;
}

export function createPipelineMetrics(worker: string): PipelineMetrics {
  const registry = new Registry();
  registry.setDefaultLabels({ worker });
  // prom-client samples the event loop's delay every 10 ms by default: a hundred
  // wake-ups a second, a third of a percent of a core per idle process. A stall
  // worth alerting on still shows when sampled every 100 ms.
  collectDefaultMetrics({ register: registry, prefix: "stadtfluss_", eventLoopMonitoringPrecision: 100 });
  const registers = [registry];
  return {
    registry,
    messagesIn: new Counter({
      name: "stadtfluss_messages_in_total",
      help: "Messages taken in",
      labelNames: ["worker"],
      registers,
    }),
    messagesOut: new Counter({
      name: "stadtfluss_messages_out_total",
      help: "Messages handed on and acknowledged downstream",
      labelNames: ["worker", "topic"],
      registers,
    }),
    messagesFailed: new Counter({
      name: "stadtfluss_messages_failed_total",
      help: "Messages that failed a stage",
      labelNames: ["worker", "stage", "error_class"],
      registers,
    }),
    deadLetters: new Counter({
      name: "stadtfluss_dead_letters_total",
      help: "Messages sent to the dead-letter topic",
      labelNames: ["worker", "stage"],
      registers,
    }),
    inFlight: new Gauge({
      name: "stadtfluss_in_flight_messages",
      help: "Messages taken in but not yet acknowledged downstream",
      labelNames: ["worker"],
      registers,
    }),
    batchSeconds: new Histogram({
      name: "stadtfluss_batch_write_seconds",
      help: "Time from handing a batch to a sink until it acknowledged",
      labelNames: ["worker", "sink"],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    retries: new Counter({
      name: "stadtfluss_sink_retries_total",
      help: "Failed attempts to hand a batch to a sink that were retried",
      labelNames: ["worker", "sink"],
      registers,
    }),
    consumerLag: new Gauge({
      name: "stadtfluss_consumer_lag_messages",
      help: "Messages in the partition after the batch just processed",
      labelNames: ["worker", "topic", "partition"],
      registers,
    }),
    unmappedFields: new Counter({
      name: "stadtfluss_unmapped_fields_total",
      help: "Payload fields that map to no kind (decoded, but not stored)",
      labelNames: ["worker"],
      registers,
    }),
  };
}
