export { createKafka, type KafkaSettings, kafkaEnv, kafkaEnvChecks, kafkaSettingsFrom } from "./client.ts";
export { type BatchHandler, type ConsumeBatchesOptions, consumeBatches, createConsumer } from "./consume-batches.ts";
export { type DeadLetterInput, deadLetter, deadLetterHeaders } from "./dead-letter.ts";
export { headerString, rawHeaders } from "./headers.ts";
export { createProducer } from "./producer.ts";
export { refusesRecords, sendUntilStored } from "./send-until-stored.ts";
export { type Topics, topicsFor } from "./topics.ts";
