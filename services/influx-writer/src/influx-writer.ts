import { reasonOf } from "@stadtfluss/errors";
import {
  CapacityRefusedError,
  DatabaseNotFoundError,
  type ObservationWriter,
  observationsToLines,
  type RoutedPoint,
} from "@stadtfluss/influx";
import {
  type Batch,
  type Consumer,
  createConsumerWorker,
  createFailureRecorder,
  type KafkaMessage,
  kafkaRetryReporter,
  type OutgoingRecord,
  type RenewingProducer,
  repeatedHeaderString,
  storeDeadLetters,
  type Topics,
} from "@stadtfluss/kafka";
import { type Observation, readObservationRecords } from "@stadtfluss/schemas";
import type { Logger, PipelineMetrics, Worker } from "@stadtfluss/telemetry";
import { Counter } from "prom-client";
import type { DatabaseOf } from "./observation-database.ts";

export interface InfluxWriterDependencies {
  readonly consumer: Consumer;
  /** Only for dead letters: observations InfluxDB refused or that do not parse. */
  readonly producer: RenewingProducer;
  readonly writer: ObservationWriter;
  /** The database of each observation (databaseByTenant, or singleBucket before tenants). */
  readonly databaseOf: DatabaseOf;
  readonly topics: Topics;
  readonly batchSize: number;
  /** No produce request carries more (KAFKA_MAX_REQUEST_BYTES). */
  readonly maxRequestBytes: number;
  readonly logger: Logger;
  readonly metrics: PipelineMetrics;
}

const WORKER = "influx-writer";

/**
 * Observations topic → InfluxDB, each observation to its database. A Kafka
 * batch is committed only after every database of the batch acknowledged its
 * points; while InfluxDB is down or a database missing the writer retries the
 * same batch and reports not-ready instead of reading further.
 */
export function createInfluxWriter(deps: InfluxWriterDependencies): Worker {
  const { consumer, producer, writer, topics, logger, metrics } = deps;
  const capacityRefusals = new Counter({
    name: "stadtfluss_influx_capacity_refusals_total",
    help: "Writes InfluxDB refused because one of its limits is reached (series, tag values, retention); retried",
    labelNames: ["limit"],
    registers: [metrics.registry],
  });

  const recordFailure = createFailureRecorder({
    worker: WORKER,
    topics,
    logger,
    metrics,
    maxRequestBytes: deps.maxRequestBytes,
  });
  const deadLetterOf = (batch: Batch, message: KafkaMessage, stage: string, error: unknown): OutgoingRecord =>
    recordFailure({ stage, error, message, topic: batch.topic, partition: batch.partition });

  const handle = async (batches: readonly Batch[]) => {
    const points: RoutedPoint[] = [];
    const sources: KafkaMessage[] = [];
    const deadLetters: OutgoingRecord[] = [];
    const refusedSources = new Set<KafkaMessage>();
    // Each point's batch beside its record: a refused point's dead letter names the partition it came from.
    const sourceBatches: Batch[] = [];
    for (const batch of batches) {
      metrics.messagesIn.inc(batch.messages.length);
      for (const message of batch.messages) {
        let observations: Observation[];
        try {
          // The header only picks the cheaper check; what it lets through is what the schema accepts.
          observations = readObservationRecords(
            message.value ?? "",
            repeatedHeaderString(message.headers, "content-type"),
          );
        } catch (error) {
          deadLetters.push(deadLetterOf(batch, message, "parse", error));
          continue;
        }
        // A record is all or nothing, as the message it came from was in the normalizer.
        let routed: RoutedPoint[];
        try {
          // Observations of one point in one line: InfluxDB stores the same, parsing fewer lines.
          routed = observationsToLines(observations).map(({ line, observation }) => ({
            database: deps.databaseOf(observation),
            point: line,
          }));
        } catch (error) {
          deadLetters.push(deadLetterOf(batch, message, "write", error));
          continue;
        }
        for (const point of routed) {
          points.push(point);
          sources.push(message);
          sourceBatches.push(batch);
        }
      }
    }
    metrics.inFlight.set(points.length);
    for (let from = 0; from < points.length; from += deps.batchSize) {
      const started = performance.now();
      const { rejected } = await writer.writeRouted(points.slice(from, from + deps.batchSize));
      metrics.batchSeconds.observe({ sink: "influxdb" }, (performance.now() - started) / 1000);
      for (const { index, error } of rejected) {
        const source = sources[from + index];
        const batch = sourceBatches[from + index];
        // Once per record: its other points were written, and writing them again when it is replayed changes nothing.
        if (source && batch && !refusedSources.has(source)) {
          refusedSources.add(source);
          deadLetters.push(deadLetterOf(batch, source, "write", error));
        }
      }
      metrics.messagesOut.inc({ topic: "influxdb" }, Math.min(deps.batchSize, points.length - from) - rejected.length);
    }
    // In requests below Kafka's limit, each cut to fit: a batch of dead letters must never stall the partition.
    await storeDeadLetters(producer, deadLetters, {
      maxRequestBytes: deps.maxRequestBytes,
      onRetry: kafkaRetryReporter(logger, metrics),
    });
    metrics.inFlight.set(0);
  };

  return createConsumerWorker({
    consumer,
    producer,
    topic: topics.observations,
    logger,
    metrics,
    handle,
    retrySink: "influxdb",
    onRetry: (error, attempt) => {
      // Not bad data and not an outage: nothing changes until an operator raises the limit.
      if (error instanceof CapacityRefusedError) {
        capacityRefusals.inc({ limit: error.limit });
        logger.error(
          { attempt, limit: error.limit, reason: reasonOf(error) },
          "InfluxDB refuses points, a limit is reached",
        );
        return;
      }
      // Not an outage either: the declaration names a database nobody created yet.
      if (error instanceof DatabaseNotFoundError) {
        logger.error(
          { attempt, database: error.database, reason: reasonOf(error) },
          "InfluxDB database missing, retrying",
        );
        return;
      }
      logger.warn(
        { attempt, reason: reasonOf(error), cause: reasonOf((error as Error).cause) },
        "InfluxDB unavailable, retrying",
      );
    },
    onRecovered: () => logger.info("InfluxDB available again"),
    notReadyWhileRetrying: true,
    close: () => writer.close(),
  });
}
