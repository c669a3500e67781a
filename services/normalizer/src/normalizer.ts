import { isRetriable, reasonOf } from "@stadtfluss/errors";
import {
  type Batch,
  type Consumer,
  createConsumerWorker,
  createFailureRecorder,
  fitsInRequest,
  type KafkaMessage,
  kafkaRetryReporter,
  type OutgoingRecord,
  RecordTooLargeError,
  type RenewingProducer,
  storeDeadLetters,
  storeRecords,
  type Topics,
} from "@stadtfluss/kafka";
import {
  OBSERVATION_V3_SCHEMA_ID,
  OBSERVATION_V4_SCHEMA_ID,
  type Observation,
  observationSchemaIdOf,
  serializeObservation,
  serializeObservationList,
  serializeObservationsV4,
} from "@stadtfluss/schemas";
import type { Logger, PipelineMetrics, Worker } from "@stadtfluss/telemetry";
import { NormalizeError, type NormalizeOptions, type ObservationVersion } from "./normalize.ts";
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

/** An output, the raw message it came from and that message's batch. */
type Output = OutgoingRecord & { readonly source: KafkaMessage; readonly batch: Batch };

/**
 * The records of one message's observations: one per observation (v1, v2), or one
 * per device of the message (v3, v4), keyed by the device as every observation record is.
 */
export function observationRecords(
  observations: readonly Observation[],
  version: ObservationVersion,
): Array<OutgoingRecord["message"]> {
  if (version < 3) {
    return observations.map((observation) => ({
      key: observation.deviceId,
      value: serializeObservation(observation),
      // v1 without a channel, so that such records stay byte for byte what they were.
      headers: { "content-type": observationSchemaIdOf(observation) },
    }));
  }
  const serialize = version === 3 ? serializeObservationList : serializeObservationsV4;
  const headers = version === 3 ? V3_HEADERS : V4_HEADERS;
  // Mostly one device per message: its observations as they are, without a map.
  const first = observations[0];
  if (first !== undefined && observations.every((observation) => observation.deviceId === first.deviceId))
    return [{ key: first.deviceId, value: serialize(observations), headers }];
  return Array.from(
    Map.groupBy(observations, (observation) => observation.deviceId),
    ([deviceId, list]) => ({
      key: deviceId,
      value: serialize(list),
      headers,
    }),
  );
}

/** Shared by every v3 (v4) record, frozen: read by kafkajs and the request sizes, written by none. */
const V3_HEADERS = Object.freeze({ "content-type": OBSERVATION_V3_SCHEMA_ID });
const V4_HEADERS = Object.freeze({ "content-type": OBSERVATION_V4_SCHEMA_ID });

/**
 * Raw topic → observations topic. A batch's observations and dead letters are
 * produced in requests below KAFKA_MAX_REQUEST_BYTES, and the input offsets are
 * committed only after Kafka acknowledged all of them: a crash replays the batch,
 * it never skips it.
 */
export function createNormalizer(deps: NormalizerDependencies): Worker {
  const { consumer, producer, topics, logger, metrics, maxRequestBytes } = deps;
  const redeliveries = new Redeliveries(deps.redeliveries ?? defaultRedeliverySettings, metrics.registry);
  const version = deps.normalizeOptions.observationVersion ?? 1;
  const sending = { maxRequestBytes, onRetry: kafkaRetryReporter(logger, metrics) };
  const recordFailure = createFailureRecorder({ worker: WORKER, topics, logger, metrics, maxRequestBytes });

  const refusedOutput = (batch: Batch, source: KafkaMessage, stage: string, error: unknown): Output => ({
    ...recordFailure({
      stage,
      error,
      message: source,
      topic: batch.topic,
      partition: batch.partition,
      quarantine: error instanceof NormalizeError && error.quarantine,
    }),
    source,
    batch,
  });

  const outputsOf = (batch: Batch, source: KafkaMessage): Output[] => {
    let outputs: Output[];
    try {
      const { observations, unmapped } = redeliveries.normalize(rawRecordOf(source), deps.normalizeOptions);
      if (unmapped.length > 0) metrics.unmappedFields.inc(unmapped.length);
      outputs = observationRecords(observations, version).map((message) => ({
        topic: topics.observations,
        message,
        source,
        batch,
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

  return createConsumerWorker({
    consumer,
    producer,
    topic: topics.raw,
    logger,
    metrics,
    retrySink: "normalize",
    onRetry: (error, attempt) => logger.warn({ attempt, reason: reasonOf(error) }, "batch not processed, trying again"),
    handle: async (batches) => {
      let messages = 0;
      const outputs: Output[] = [];
      for (const batch of batches) {
        messages += batch.messages.length;
        for (const source of batch.messages) for (const output of outputsOf(batch, source)) outputs.push(output);
      }
      metrics.messagesIn.inc(messages);
      metrics.inFlight.set(messages);
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
            ? refusedOutput(output.batch, output.source, "produce", output.error)
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
}
