import type { Point } from "@influxdata/influxdb-client";
import { reasonOf } from "@stadtfluss/errors";
import { CapacityRefusedError, type ObservationWriter, observationToPoint } from "@stadtfluss/influx";
import { consumeBatches, deadLetter, type RenewingProducer, storeDeadLetters, type Topics } from "@stadtfluss/kafka";
import { parseObservation } from "@stadtfluss/schemas";
import type { Logger, PipelineMetrics, Worker } from "@stadtfluss/telemetry";
import type { Batch, Consumer, KafkaMessage, Message } from "kafkajs";
import { Counter } from "prom-client";

export interface InfluxWriterDependencies {
  readonly consumer: Consumer;
  /** Only for dead letters: observations InfluxDB refused or that do not parse. */
  readonly producer: RenewingProducer;
  readonly writer: ObservationWriter;
  readonly topics: Topics;
  readonly batchSize: number;
  /** No produce request carries more (KAFKA_MAX_REQUEST_BYTES). */
  readonly maxRequestBytes: number;
  readonly logger: Logger;
  readonly metrics: PipelineMetrics;
}

const WORKER = "influx-writer";

/**
 * Observations topic → InfluxDB. A Kafka batch is committed only after InfluxDB
 * acknowledged every point in it; while InfluxDB is down the writer retries the
 * same batch and reports not-ready instead of reading further.
 */
export function createInfluxWriter(deps: InfluxWriterDependencies): Worker {
  const { consumer, producer, writer, topics, logger, metrics } = deps;
  let joined = false;
  let waitingForInflux = false;
  const capacityRefusals = new Counter({
    name: "stadtfluss_influx_capacity_refusals_total",
    help: "Writes InfluxDB refused because one of its limits is reached (series, tag values, retention); retried",
    labelNames: ["limit"],
    registers: [metrics.registry],
  });

  const deadLetterOf = (batch: Batch, message: KafkaMessage, stage: string, error: unknown): Message => {
    metrics.messagesFailed.inc({ stage, error_class: (error as Error).name });
    metrics.deadLetters.inc({ stage });
    logger.warn({ stage, reason: reasonOf(error), offset: message.offset, partition: batch.partition }, "dead letter");
    return deadLetter({ worker: WORKER, stage, error, topic: batch.topic, partition: batch.partition, message });
  };

  const handle = async (batch: Batch) => {
    const points: Point[] = [];
    const sources: KafkaMessage[] = [];
    const deadLetters: Message[] = [];
    metrics.messagesIn.inc(batch.messages.length);
    for (const message of batch.messages) {
      try {
        points.push(observationToPoint(parseObservation(message.value ?? "")));
        sources.push(message);
      } catch (error) {
        deadLetters.push(deadLetterOf(batch, message, "parse", error));
      }
    }
    metrics.inFlight.set(points.length);
    for (let from = 0; from < points.length; from += deps.batchSize) {
      const started = performance.now();
      const { rejected } = await writer.write(points.slice(from, from + deps.batchSize));
      metrics.batchSeconds.observe({ sink: "influxdb" }, (performance.now() - started) / 1000);
      for (const { index, error } of rejected) {
        const source = sources[from + index];
        if (source) deadLetters.push(deadLetterOf(batch, source, "write", error));
      }
      metrics.messagesOut.inc({ topic: "influxdb" }, Math.min(deps.batchSize, points.length - from) - rejected.length);
    }
    // In requests below Kafka's limit, each cut to fit: a batch of dead letters must never stall the partition.
    await storeDeadLetters(
      producer,
      deadLetters.map((message) => ({ topic: topics.deadLetter, message })),
      {
        maxRequestBytes: deps.maxRequestBytes,
        onRetry: (error, attempt) => {
          metrics.retries.inc({ sink: "kafka" });
          if (attempt === 1 || attempt % 10 === 0)
            logger.warn({ reason: reasonOf(error), attempt }, "Kafka unavailable, sending again");
        },
      },
    );
    metrics.inFlight.set(0);
  };

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
        topic: topics.observations,
        onCommitted: (topic, partition, lag) => metrics.consumerLag.set({ topic, partition }, lag),
        onCommitRefused: (error) =>
          logger.warn({ reason: reasonOf(error) }, "commit refused, batch will be read again"),
        handle,
        onRetry: (error, attempt) => {
          waitingForInflux = true;
          metrics.retries.inc({ sink: "influxdb" });
          // Not bad data and not an outage: nothing changes until an operator raises the limit.
          if (error instanceof CapacityRefusedError) {
            capacityRefusals.inc({ limit: error.limit });
            logger.error(
              { attempt, limit: error.limit, reason: reasonOf(error) },
              "InfluxDB refuses points, a limit is reached",
            );
            return;
          }
          logger.warn(
            { attempt, reason: reasonOf(error), cause: reasonOf((error as Error).cause) },
            "InfluxDB unavailable, retrying",
          );
        },
        onRecovered: () => {
          waitingForInflux = false;
          logger.info("InfluxDB available again");
        },
      });
    },
    async stop() {
      await consumer.disconnect();
      await Promise.all([writer.close(), producer.disconnect()]);
    },
    isReady: () => joined && !waitingForInflux && producer.refusal === undefined,
  };
}
