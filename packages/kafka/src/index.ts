// kafkajs is unmaintained and patched here (patches/): everything else reaches it
// through this package, so that replacing it touches one place (biome.json enforces it).
export type {
  Batch,
  Consumer,
  IHeaders,
  KafkaMessage,
  Message,
  Producer,
  ProducerRecord,
  RecordMetadata,
} from "kafkajs";
export { Kafka, logLevel } from "kafkajs";
export { createKafka, type KafkaSettings, kafkaEnv, kafkaEnvChecks, kafkaSettingsFrom } from "./client.ts";
export { type BatchHandler, createConsumer } from "./consume-batches.ts";
export { type ConsumerWorkerOptions, createConsumerWorker } from "./consumer-worker.ts";
// Dead letters are built only through createFailureRecorder; their header names are public for readers.
export { deadLetterHeaders, droppedValueHeader, SMALLEST_REQUEST_BYTES } from "./dead-letter.ts";
export {
  createFailureRecorder,
  type Failure,
  type FailureLog,
  type FailureRecorderOptions,
  kafkaRetryReporter,
  type RecordFailure,
} from "./failure-recorder.ts";
export { createGroupLease, type GroupLease, type GroupLeaseOptions } from "./group-lease.ts";
export { headerString, rawHeaders, repeatedHeaderString } from "./headers.ts";
export { javaCompatiblePartitioner, murmur2 } from "./partitioner.ts";
export { createProducer, needsNewProducer, RenewingProducer, refusesAccess } from "./producer.ts";
export { fitsInRequest, RECORD_BATCH_OVERHEAD, recordBytes } from "./record-size.ts";
export { refusesRecords, sendUntilStored } from "./send-until-stored.ts";
export {
  type OutgoingRecord,
  RecordTooLargeError,
  type RefusedRecord,
  requestsOf,
  type StoreRecordsOptions,
  storeDeadLetters,
  storeRecords,
} from "./store-records.ts";
export { type Topics, topicsFor } from "./topics.ts";
