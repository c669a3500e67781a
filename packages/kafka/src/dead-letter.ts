import { errorClass, reasonOf } from "@stadtfluss/errors";
import type { IHeaders, Message } from "kafkajs";
import { byteLength, fitsInRequest } from "./record-size.ts";

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
  /** Where the record was read, for one read from Kafka; a record that never was in Kafka has none. */
  readonly topic?: string;
  readonly partition?: number;
  readonly message: Pick<Message, "key" | "value" | "headers"> & { readonly offset?: string };
}

/**
 * The original record, unchanged, plus the reason it could not be processed. The
 * reason is bounded here, whatever the error quotes: a header of megabytes would
 * make the dead letter itself too large for Kafka.
 */
export function deadLetter(input: DeadLetterInput): Message {
  const headers: IHeaders = {
    ...input.message.headers,
    ...(input.topic === undefined ? {} : { [deadLetterHeaders.topic]: input.topic }),
    ...(input.partition === undefined ? {} : { [deadLetterHeaders.partition]: String(input.partition) }),
    ...(input.message.offset === undefined ? {} : { [deadLetterHeaders.offset]: input.message.offset }),
    [deadLetterHeaders.worker]: input.worker,
    [deadLetterHeaders.stage]: input.stage,
    [deadLetterHeaders.errorClass]: errorClass(input.error),
    [deadLetterHeaders.message]: reasonOf(input.error),
    [deadLetterHeaders.failedAt]: new Date().toISOString(),
  };
  return { key: input.message.key ?? null, value: input.message.value, headers };
}

/** On a dead letter sent without its value to fit Kafka's limit: the value's size in bytes. */
export const droppedValueHeader = "stadtfluss.dropped_value_bytes";

/**
 * The smallest request size allowed (KAFKA_MAX_REQUEST_BYTES): a dead letter cut
 * by `deadLetterWithin` always fits in it.
 */
export const SMALLEST_REQUEST_BYTES = 16_384;

/** What a cut key or header value keeps, in bytes. */
const CUT_BYTES = 1_000;

function cut<T extends Buffer | string | null | undefined>(data: T): T | string {
  if (data === null || data === undefined) return data;
  const bytes: Buffer = typeof data === "string" ? Buffer.from(data) : data;
  if (bytes.length <= CUT_BYTES) return data;
  return `${bytes.subarray(0, CUT_BYTES).toString("utf8")}… (cut, ${bytes.length} bytes)`;
}

/**
 * A dead letter that fits in a request of `maxRequestBytes`, so that a record Kafka
 * cannot take still leaves its reason behind and its partition moves on. Cut in
 * steps, each only when the one before does not fit: the value dropped (its size
 * in `stadtfluss.dropped_value_bytes`), then the key and every header value cut to
 * 1,000 bytes, then only the dead-letter headers kept.
 */
export function deadLetterWithin(message: Message, maxRequestBytes: number): Message {
  if (fitsInRequest(message, maxRequestBytes)) return message;
  const headers: IHeaders = { ...message.headers, [droppedValueHeader]: String(byteLength(message.value)) };
  const withoutValue: Message = { ...message, value: null, headers };
  if (fitsInRequest(withoutValue, maxRequestBytes)) return withoutValue;
  const cutHeaders: IHeaders = Object.fromEntries(
    Object.entries(headers).map(([name, value]) => [name, Array.isArray(value) ? value.map(cut) : cut(value)]),
  );
  const cutAll: Message = { ...withoutValue, key: cut(message.key) ?? null, headers: cutHeaders };
  if (fitsInRequest(cutAll, maxRequestBytes)) return cutAll;
  const own = new Set<string>([...Object.values(deadLetterHeaders), droppedValueHeader]);
  return { ...cutAll, headers: Object.fromEntries(Object.entries(cutHeaders).filter(([name]) => own.has(name))) };
}
