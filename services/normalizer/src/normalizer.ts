import { isRetriable, reasonOf } from "@stadtfluss/errors";
import {
  consumeBatches,
  deadLetter,
  deadLetterWithin,
  fitsInRequest,
  type OutgoingRecord,
  RecordTooLargeError,
  type RenewingProducer,
  storeDeadLetters,
  storeRecords,
  type Topics,
} from "@stadtfluss/kafka";
import { observationSchemaIdOf, serializeObservation } from "@stadtfluss/schemas";
import type { Logger, PipelineMetrics, Worker } from "@stadtfluss/telemetry";
import type { Batch, Consumer, KafkaMessage } from "kafkajs";
import { NormalizeError, type NormalizeOptions } from "./normalize.ts";
import { rawRecordOf } from "./raw-record.ts";
import { defaultRedeliverySettings, Redeliveries, type RedeliverySettings } from "./redeliveries.ts";

export interface NormalizerDependencies {
  readonly consumer: Consumer;
  /** Its `refusal` turns the normalizer not-ready: Kafka refuses it access. */
  readonly producer: RenewingProducer;
  readonly topics: Topics;
  readonly normalizeOptions: NormalizeOptions;
  /** No produce request carries more (KAFKA_MAX_REQUEST_BYTES). */
  readonly maxRequestBytes: number;
  readonly logger: Logger;
  readonly metrics: PipelineMetrics;
  /** How a copy the MQTT broker sent again is recognised (see redeliveries.ts). */
  readonly redeliveries?: RedeliverySettings;
}

const WORKER = "normalizer";

/** An output and the raw message it came from. */
type Output = OutgoingRecord & { readonly source: KafkaMessage };

/**
 * Raw topic → observations topic. A batch's observations and dead letters are
 * produced in requests below KAFKA_MAX_REQUEST_BYTES, and the input offsets are
 * committed only after Kafka acknowledged all of them: a crash replays the batch,
 * it never skips it.
 */
export function createNormalizer(deps: NormalizerDependencies): Worker {
  const { consumer, producer, topics, logger, metrics, maxRequestBytes } = deps;
  let joined = false;
  const redeliveries = new Redeliveries(deps.redeliveries ?? defaultRedeliverySettings, metrics.registry);
  const sending = {
    maxRequestBytes,
    onRetry: (error: unknown, attempt: number) => {
      metrics.retries.inc({ sink: "kafka" });
      if (attempt === 1 || attempt % 10 === 0)
        logger.warn({ reason: reasonOf(error), attempt }, "Kafka unavailable, sending again");
    },
  };

  const refusedOutput = (batch: Batch, source: KafkaMessage, stage: string, error: unknown): Output => {
    const quarantine = error instanceof NormalizeError && error.quarantine;
    metrics.messagesFailed.inc({ stage, error_class: (error as Error).name });
    if (!quarantine) metrics.deadLetters.inc({ stage });
    logger.warn(
      { stage, reason: reasonOf(error), offset: source.offset, partition: batch.partition },
      quarantine ? "quarantined" : "dead letter",
    );
    // Quarantine carries the dead-letter headers too, so the same tools show why a record waits.
    const message = deadLetter({
      worker: WORKER,
      stage,
      error,
      topic: batch.topic,
      partition: batch.partition,
      message: source,
    });
    return {
      topic: quarantine ? topics.quarantine : topics.deadLetter,
      message: deadLetterWithin(message, maxRequestBytes),
      source,
    };
  };

  const outputsOf = (batch: Batch, source: KafkaMessage): Output[] => {
    let outputs: Output[];
    try {
      const { observations, unmapped } = redeliveries.normalize(rawRecordOf(source), deps.normalizeOptions);
      if (unmapped.length > 0) metrics.unmappedFields.inc(unmapped.length);
      outputs = observations.map((observation) => ({
        topic: topics.observations,
        message: {
          key: observation.deviceId,
          value: serializeObservation(observation),
          // v1 without a channel, so that such records stay byte for byte what they were.
          headers: { "content-type": observationSchemaIdOf(observation) },
        },
        source,
      }));
    } catch (error) {
      // The whole batch is tried again; nothing of it has been sent yet.
      if (isRetriable(error)) throw error;
      const stage = error instanceof NormalizeError ? error.stage : "decode";
      return [refusedOutput(batch, source, stage, error)];
    }
    // A message is all or nothing: one observation Kafka could never take refuses it whole.
    const tooLarge = outputs.find((output) => !fitsInRequest(output.message, maxRequestBytes));
    if (tooLarge) {
      const error = new RecordTooLargeError(tooLarge.message, maxRequestBytes);
      return [refusedOutput(batch, source, "produce", error)];
    }
    return outputs;
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
        topic: topics.raw,
        onCommitted: (topic, partition, lag) => metrics.consumerLag.set({ topic, partition }, lag),
        onCommitRefused: (error) =>
          logger.warn({ reason: reasonOf(error) }, "commit refused, batch will be read again"),
        onRetry: (error, attempt) => {
          metrics.retries.inc({ sink: "normalize" });
          logger.warn({ attempt, reason: reasonOf(error) }, "batch not processed, trying again");
        },
        handle: async (batch) => {
          metrics.messagesIn.inc(batch.messages.length);
          metrics.inFlight.set(batch.messages.length);
          const outputs = batch.messages.flatMap((source) => outputsOf(batch, source));
          const started = performance.now();
          const refused = await storeRecords(producer, outputs, sending);
          // Kafka refused what fits our limit (a topic with a smaller max.message.bytes,
          // an invalid record): a refused observation's message becomes a dead letter,
          // a refused dead letter goes again cut shorter, and the partition moves on.
          const again = new Map<KafkaMessage, OutgoingRecord>();
          for (const output of refused) {
            if (again.has(output.source)) continue;
            again.set(
              output.source,
              output.topic === topics.observations
                ? refusedOutput(batch, output.source, "produce", output.error)
                : output,
            );
          }
          await storeDeadLetters(producer, [...again.values()], sending);
          metrics.batchSeconds.observe({ sink: "kafka" }, (performance.now() - started) / 1000);
          const count = (records: readonly OutgoingRecord[], topic: string) =>
            records.filter((record) => record.topic === topic).length;
          metrics.messagesOut.inc(
            { topic: topics.observations },
            count(outputs, topics.observations) - count(refused, topics.observations),
          );
          const quarantined = count(outputs, topics.quarantine);
          if (quarantined > 0) metrics.messagesOut.inc({ topic: topics.quarantine }, quarantined);
          metrics.inFlight.set(0);
        },
      });
    },
    async stop() {
      // disconnect() waits for the running batch, whose offsets are committed
      // after its outputs were acknowledged.
      await consumer.disconnect();
      await producer.disconnect();
    },
    isReady: () => joined && producer.refusal === undefined,
  };
}
