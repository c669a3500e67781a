import { isRetriable, reasonOf } from "@stadtfluss/errors";
import { consumeBatches, deadLetter, type Topics } from "@stadtfluss/kafka";
import { observationSchemaIdOf, serializeObservation } from "@stadtfluss/schemas";
import type { Logger, PipelineMetrics, Worker } from "@stadtfluss/telemetry";
import type { Consumer, Message, Producer } from "kafkajs";
import { NormalizeError, type NormalizeOptions } from "./normalize.ts";
import { rawRecordOf } from "./raw-record.ts";
import { defaultRedeliverySettings, Redeliveries, type RedeliverySettings } from "./redeliveries.ts";

export interface NormalizerDependencies {
  readonly consumer: Consumer;
  readonly producer: Producer;
  readonly topics: Topics;
  readonly normalizeOptions: NormalizeOptions;
  readonly logger: Logger;
  readonly metrics: PipelineMetrics;
  /** How a copy the MQTT broker sent again is recognised (see redeliveries.ts). */
  readonly redeliveries?: RedeliverySettings;
}

const WORKER = "normalizer";

/**
 * Raw topic → observations topic. Each batch's observations and dead letters are
 * produced in one request, and the input offsets are committed only after Kafka
 * acknowledged both: a crash replays the batch, it never skips it.
 */
export function createNormalizer(deps: NormalizerDependencies): Worker {
  const { consumer, producer, topics, logger, metrics } = deps;
  let joined = false;
  const redeliveries = new Redeliveries(deps.redeliveries ?? defaultRedeliverySettings, metrics.registry);

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
          const observations: Message[] = [];
          const deadLetters: Message[] = [];
          const quarantined: Message[] = [];
          metrics.messagesIn.inc(batch.messages.length);
          metrics.inFlight.set(batch.messages.length);
          for (const message of batch.messages) {
            try {
              const { observations: found, unmapped } = redeliveries.normalize(
                rawRecordOf(message),
                deps.normalizeOptions,
              );
              if (unmapped.length > 0) metrics.unmappedFields.inc(unmapped.length);
              for (const observation of found) {
                observations.push({
                  key: observation.deviceId,
                  value: serializeObservation(observation),
                  // v1 without a channel, so that such records stay byte for byte what they were.
                  headers: { "content-type": observationSchemaIdOf(observation) },
                });
              }
            } catch (error) {
              // The whole batch is tried again; nothing of it has been sent yet.
              if (isRetriable(error)) throw error;
              const stage = error instanceof NormalizeError ? error.stage : "decode";
              const quarantine = error instanceof NormalizeError && error.quarantine;
              metrics.messagesFailed.inc({ stage, error_class: (error as Error).name });
              if (!quarantine) metrics.deadLetters.inc({ stage });
              logger.warn(
                { stage, reason: reasonOf(error), offset: message.offset, partition: batch.partition },
                quarantine ? "quarantined" : "dead letter",
              );
              // Quarantine carries the dead-letter headers too, so the same tools show why a record waits.
              (quarantine ? quarantined : deadLetters).push(
                deadLetter({ worker: WORKER, stage, error, topic: batch.topic, partition: batch.partition, message }),
              );
            }
          }
          const started = performance.now();
          const topicMessages = [
            { topic: topics.observations, messages: observations },
            { topic: topics.deadLetter, messages: deadLetters },
            { topic: topics.quarantine, messages: quarantined },
          ].filter((t) => t.messages.length > 0);
          await producer.sendBatch({ topicMessages, acks: -1 });
          metrics.batchSeconds.observe({ sink: "kafka" }, (performance.now() - started) / 1000);
          metrics.messagesOut.inc({ topic: topics.observations }, observations.length);
          if (quarantined.length > 0) metrics.messagesOut.inc({ topic: topics.quarantine }, quarantined.length);
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
    isReady: () => joined,
  };
}
