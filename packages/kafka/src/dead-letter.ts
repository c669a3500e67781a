import { errorClass, reasonOf } from "@stadtfluss/errors";
import type { IHeaders, KafkaMessage, Message } from "kafkajs";

/**
 * Kafka Connect's dead-letter header names, so that the tools operators already
 * use with Connect (kcat, AKHQ, Kafka UI, Connect's own replay recipes) show why a
 * record failed without knowing Stadtfluss.
 */
export const deadLetterHeaders = {
  topic: "__connect.errors.topic",
  partition: "__connect.errors.partition",
  offset: "__connect.errors.offset",
  worker: "__connect.errors.connector.name",
  stage: "__connect.errors.stage",
  errorClass: "__connect.errors.exception.class.name",
  message: "__connect.errors.exception.message",
  failedAt: "__connect.errors.timestamp",
} as const;

export interface DeadLetterInput {
  readonly worker: string;
  /** Where processing stopped: decode, validate, enrich, write, ... */
  readonly stage: string;
  readonly error: unknown;
  readonly topic: string;
  readonly partition: number;
  readonly message: Pick<KafkaMessage, "key" | "value" | "headers" | "offset">;
}

/**
 * The original record, unchanged, plus the reason it could not be processed. The
 * reason is bounded here, whatever the error quotes: a header of megabytes would
 * make the dead letter itself too large for Kafka.
 */
export function deadLetter(input: DeadLetterInput): Message {
  const headers: IHeaders = {
    ...input.message.headers,
    [deadLetterHeaders.topic]: input.topic,
    [deadLetterHeaders.partition]: String(input.partition),
    [deadLetterHeaders.offset]: input.message.offset,
    [deadLetterHeaders.worker]: input.worker,
    [deadLetterHeaders.stage]: input.stage,
    [deadLetterHeaders.errorClass]: errorClass(input.error),
    [deadLetterHeaders.message]: reasonOf(input.error),
    [deadLetterHeaders.failedAt]: new Date().toISOString(),
  };
  return { key: input.message.key, value: input.message.value, headers };
}
