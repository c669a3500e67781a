import { StadtflussError } from "@stadtfluss/errors";
import type { Message, Producer, TopicMessages } from "kafkajs";
import { deadLetterWithin, SMALLEST_REQUEST_BYTES } from "./dead-letter.ts";
import { RECORD_BATCH_OVERHEAD, recordBytes } from "./record-size.ts";
import { refusesRecords, sendUntilStored } from "./send-until-stored.ts";

export interface OutgoingRecord {
  readonly topic: string;
  readonly message: Message;
}

export type RefusedRecord<T extends OutgoingRecord> = T & { readonly error: unknown };

export interface StoreRecordsOptions {
  /** No request carries more (KAFKA_MAX_REQUEST_BYTES): below the brokers' message.max.bytes. */
  readonly maxRequestBytes: number;
  /** Each failed attempt while Kafka is unavailable; the same request goes again. */
  readonly onRetry?: (error: unknown, attempt: number) => void;
}

/** A record larger than a request may be: Kafka would refuse it however it is sent. */
export class RecordTooLargeError extends StadtflussError {
  constructor(message: Message, maxRequestBytes: number) {
    const bytes = RECORD_BATCH_OVERHEAD + recordBytes(message);
    super(
      `record of up to ${bytes} bytes does not fit in a request of ${maxRequestBytes} bytes (KAFKA_MAX_REQUEST_BYTES)`,
      {
        context: { bytes, maxRequestBytes },
      },
    );
  }
}

/**
 * Splits records, in order, into requests of at most `maxRequestBytes` in all.
 * kafkajs puts each partition's records of a request into one record batch, which
 * Kafka refuses above message.max.bytes; bounding the whole request bounds every
 * batch in it without knowing the partitioner. Records that cannot fit even alone
 * come back in `tooLarge`.
 */
export function requestsOf<T extends OutgoingRecord>(
  records: readonly T[],
  maxRequestBytes: number,
): { requests: T[][]; tooLarge: RefusedRecord<T>[] } {
  const budget = maxRequestBytes - RECORD_BATCH_OVERHEAD;
  const requests: T[][] = [];
  const tooLarge: RefusedRecord<T>[] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const record of records) {
    const size = recordBytes(record.message);
    if (size > budget) {
      tooLarge.push({ ...record, error: new RecordTooLargeError(record.message, maxRequestBytes) });
      continue;
    }
    if (bytes + size > budget) {
      requests.push(current);
      current = [];
      bytes = 0;
    }
    current.push(record);
    bytes += size;
  }
  if (current.length > 0) requests.push(current);
  return { requests, tooLarge };
}

function topicMessagesOf(records: readonly OutgoingRecord[]): TopicMessages[] {
  const byTopic = new Map<string, Message[]>();
  for (const { topic, message } of records) {
    const messages = byTopic.get(topic);
    if (messages) messages.push(message);
    else byTopic.set(topic, [message]);
  }
  return [...byTopic].map(([topic, messages]) => ({ topic, messages }));
}

/**
 * Stores records in Kafka in order, in requests below `maxRequestBytes`, one after
 * the other, each sent until Kafka acknowledged it (acks from all in-sync
 * replicas). Resolves once every request is stored, so offsets committed after it
 * never run ahead of the outputs.
 *
 * Records Kafka cannot take are not sent but returned, for the caller to
 * dead-letter: one larger than a request may be, and one Kafka refuses for itself
 * (a topic whose max.message.bytes is below `maxRequestBytes`, an invalid record).
 * A request Kafka refuses is halved until the refused records are found; records
 * of a refused request that Kafka had stored on other partitions may then be
 * stored twice.
 */
export async function storeRecords<T extends OutgoingRecord>(
  producer: Producer,
  records: readonly T[],
  options: StoreRecordsOptions,
): Promise<RefusedRecord<T>[]> {
  const { requests, tooLarge } = requestsOf(records, options.maxRequestBytes);
  const refused: RefusedRecord<T>[] = [...tooLarge];
  const store = async (request: T[]): Promise<void> => {
    try {
      await sendUntilStored(
        () => producer.sendBatch({ topicMessages: topicMessagesOf(request), acks: -1 }),
        options.onRetry,
      );
    } catch (error) {
      if (!refusesRecords(error)) throw error;
      const [only] = request;
      if (request.length === 1 && only) {
        refused.push({ ...only, error });
        return;
      }
      const half = Math.ceil(request.length / 2);
      await store(request.slice(0, half));
      await store(request.slice(half));
    }
  };
  for (const request of requests) await store(request);
  return refused;
}

/**
 * Stores records that carry a failure (dead letters, quarantined records), cut to
 * fit `maxRequestBytes` (see deadLetterWithin). One Kafka still refuses (a topic
 * whose max.message.bytes is smaller) goes again cut to the smallest dead letter;
 * refused even then, this throws: such a topic is set up wrong.
 */
export async function storeDeadLetters(
  producer: Producer,
  records: readonly OutgoingRecord[],
  options: StoreRecordsOptions,
): Promise<void> {
  const within = (maxBytes: number) => (record: OutgoingRecord) => ({
    topic: record.topic,
    message: deadLetterWithin(record.message, maxBytes),
  });
  const refused = await storeRecords(producer, records.map(within(options.maxRequestBytes)), options);
  const [refusedAgain] = await storeRecords(producer, refused.map(within(SMALLEST_REQUEST_BYTES)), options);
  if (refusedAgain) {
    throw new StadtflussError(
      `Kafka refuses a dead letter of ${SMALLEST_REQUEST_BYTES} bytes to ${refusedAgain.topic}`,
      {
        cause: refusedAgain.error,
      },
    );
  }
}
