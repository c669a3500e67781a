import { reasonOf } from "@stadtfluss/errors";
import type { Logger, PipelineMetrics, Worker } from "@stadtfluss/telemetry";
import type { Consumer } from "kafkajs";
import { type BatchHandler, consumeBatches } from "./consume-batches.ts";
import type { RenewingProducer } from "./producer.ts";

export interface ConsumerWorkerOptions {
  readonly consumer: Consumer;
  /** Where the handler's outputs or dead letters go; its `refusal` turns the worker not-ready. */
  readonly producer: RenewingProducer;
  readonly topic: string;
  readonly logger: Logger;
  readonly metrics: PipelineMetrics;
  /** See consumeBatches: resolves once the batch's outputs are acknowledged downstream. */
  readonly handle: BatchHandler;
  /** Labels the retries of a batch in stadtfluss_sink_retries_total (`sink`). */
  readonly retrySink: string;
  /** Each failed attempt of a batch, after the metric: the worker's own log line. */
  readonly onRetry: (error: unknown, attempt: number) => void;
  readonly onRecovered?: () => void;
  /** Not ready while a batch waits for a retry (the writer's: InfluxDB does not take its writes). */
  readonly notReadyWhileRetrying?: boolean;
  /** Flushes and closes the sink after the consumer committed its last batch. */
  readonly close?: () => Promise<void>;
}

/**
 * A worker that consumes one topic in batches (consumeBatches): ready once its
 * consumer joined the group and while Kafka lets its producer write; a consumer
 * crash kafkajs does not restart stops the service. Reports consumer lag after
 * each commit and commits the group refused.
 */
export function createConsumerWorker(options: ConsumerWorkerOptions): Worker {
  const { consumer, producer, logger, metrics } = options;
  let joined = false;
  let waiting = 0;
  return {
    async start(hooks) {
      consumer.on(consumer.events.GROUP_JOIN, () => {
        joined = true;
      });
      consumer.on(consumer.events.CRASH, ({ payload }) => {
        joined = false;
        if (!payload.restart) hooks.fatal(payload.error);
      });
      await Promise.all([producer.connect(), consumer.connect()]);
      await consumeBatches({
        consumer,
        topic: options.topic,
        handle: options.handle,
        onCommitted: (topic, partition, lag) => metrics.consumerLag.set({ topic, partition }, lag),
        onCommitRefused: (error) =>
          logger.warn({ reason: reasonOf(error) }, "commit refused, batch will be read again"),
        onRetry: (error, attempt) => {
          metrics.retries.inc({ sink: options.retrySink });
          options.onRetry(error, attempt);
        },
        ...(options.onRecovered ? { onRecovered: options.onRecovered } : {}),
        onWaiting: (batches) => {
          waiting = batches;
        },
      });
    },
    async stop() {
      // disconnect() waits for the running batch, whose offsets are committed
      // after its outputs were acknowledged.
      await consumer.disconnect();
      await Promise.all([options.close?.(), producer.disconnect()]);
    },
    isReady: () => joined && producer.refusal === undefined && !(options.notReadyWhileRetrying && waiting > 0),
  };
}
