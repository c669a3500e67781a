import { createRequire } from "node:module";
import { javaCompatiblePartitioner } from "@stadtfluss/kafka";
import type { Batch, Message, PartitionMetadata } from "kafkajs";

/*
 * kafkajs's own wire codec, reached by path because kafkajs exports no codec API.
 * The whole-stage rows must run exactly the code a worker runs on every produce
 * and fetch (partitioning, records with varints and headers, record batches with
 * CRC32C, request and response framing), only without the socket. Paths as in
 * kafkajs 2.2.4; a new release may move them. Every kafkajs internal the bench
 * uses is in this file.
 */
const require = createRequire(import.meta.url);

interface Encoder {
  readonly buffer: Buffer;
  size(): number;
  writeInt16(value: number): Encoder;
  writeInt32(value: number): Encoder;
  writeInt64(value: number | string): Encoder;
  writeString(value: string): Encoder;
  writeEncoder(value: Encoder): Encoder;
}
interface Decoder {
  readInt32(): number;
  readBytes(length?: number): Buffer;
  readAll(): Buffer;
}
interface TopicData {
  readonly topic: string;
  readonly partitions: { partition: number; messages: Message[]; firstSequence?: number }[];
}
interface Request {
  readonly apiKey: number;
  readonly apiVersion: number;
  encode(): Promise<Encoder>;
}
interface FetchResponse {
  decode(payload: Buffer): Promise<unknown>;
  parse(decoded: unknown): Promise<{ responses: { topicName: string; partitions: unknown[] }[] }>;
}
interface RequestDefinition<Args, Response> {
  protocol(version: { version: number }): (args: Args) => { request: Request; response: Response };
}

const { requests } = require("kafkajs/src/protocol/requests") as {
  requests: {
    Produce: RequestDefinition<
      {
        acks: number;
        timeout: number;
        compression: number;
        topicData: TopicData[];
        transactionalId: string | undefined;
        producerId: string;
        producerEpoch: number;
      },
      unknown
    >;
    Fetch: RequestDefinition<Record<string, never>, FetchResponse>;
  };
};
const EncoderClass = require("kafkajs/src/protocol/encoder") as new () => Encoder;
const DecoderClass = require("kafkajs/src/protocol/decoder") as new (buffer: Buffer) => Decoder;
const encodeRequestFrame = require("kafkajs/src/protocol/request") as (request: {
  correlationId: number;
  clientId: string;
  request: Request;
}) => Promise<Encoder>;
const { RecordBatch } = require("kafkajs/src/protocol/recordBatch/v0") as {
  RecordBatch: (batch: {
    records: Encoder[];
    firstOffset: string;
    firstTimestamp: number;
    maxTimestamp: number;
    producerId: string;
    lastOffsetDelta: number;
  }) => Promise<Encoder>;
};
const encodeRecord = require("kafkajs/src/protocol/recordBatch/record/v0") as (
  record: Message & { offsetDelta: number; timestampDelta: number },
) => Encoder;
const groupMessagesPerPartition = require("kafkajs/src/producer/groupMessagesPerPartition") as (args: {
  topic: string;
  partitionMetadata: PartitionMetadata[];
  messages: Message[];
  partitioner: ReturnType<typeof javaCompatiblePartitioner>;
}) => Record<string, Message[]>;
const createTopicData = require("kafkajs/src/producer/createTopicData") as (
  perTopic: { topic: string; partitions: number[]; messagesPerPartition: Record<string, Message[]> }[],
) => TopicData[];
const BatchClass = require("kafkajs/src/consumer/batch") as new (
  topic: string,
  fetchedOffset: string,
  partitionData: unknown,
) => Batch;

/** The versions kafkajs picks against Kafka 2.3+ and the local mock cluster: its newest. */
const PRODUCE_VERSION = 7;
const FETCH_VERSION = 11;
/** kafkajs's defaults for `send()`; the workers set acks -1 too. */
const ACKS_ALL = -1;
const PRODUCE_TIMEOUT_MS = 30_000;
const NO_COMPRESSION = 0;
/** What a socket read hands kafkajs at a time: a response arrives in such chunks and is concatenated. */
const SOCKET_CHUNK_BYTES = 64 * 1024;

export interface TopicMessages {
  readonly topic: string;
  readonly messages: Message[];
}

/**
 * What an idempotent kafkajs producer does with `send()`/`sendBatch()` between
 * its arguments and the socket: each topic's messages to partitions (Java's
 * murmur2 partitioner, as packages/kafka configures it), one Produce request per
 * leader with a record batch per partition, framed. Returns the requests' bytes.
 */
export function createProduceEncoder(options: { partitions: number; brokers: number; clientId: string }) {
  const partitioner = javaCompatiblePartitioner();
  const partitionMetadata: PartitionMetadata[] = Array.from({ length: options.partitions }, (_, partitionId) => ({
    partitionErrorCode: 0,
    partitionId,
    leader: partitionId % options.brokers,
    replicas: [partitionId % options.brokers],
    isr: [partitionId % options.brokers],
  }));
  const produce = requests.Produce.protocol({ version: PRODUCE_VERSION });
  const sequences = new Map<string, number>();
  let correlationId = 0;

  return async (topicMessages: readonly TopicMessages[]): Promise<Buffer[]> => {
    const perLeader = new Map<
      number,
      { topic: string; partitions: number[]; messagesPerPartition: Record<string, Message[]> }[]
    >();
    for (const { topic, messages } of topicMessages) {
      const messagesPerPartition = groupMessagesPerPartition({ topic, partitionMetadata, messages, partitioner });
      // As the cluster's findLeaderForPartitions: one request per broker leading any of them.
      for (const partition of Object.keys(messagesPerPartition).map(Number)) {
        const leader = partitionMetadata[partition]?.leader ?? 0;
        const topics = perLeader.get(leader) ?? [];
        perLeader.set(leader, topics);
        const entry = topics.find((t) => t.topic === topic);
        if (entry) entry.partitions.push(partition);
        else topics.push({ topic, partitions: [partition], messagesPerPartition });
      }
    }
    const frames: Buffer[] = [];
    for (const perTopic of perLeader.values()) {
      const topicData = createTopicData(perTopic);
      for (const { topic, partitions } of topicData) {
        for (const entry of partitions) {
          // The idempotent producer's sequence per partition (eosManager), wrapping as an int32.
          const key = `${topic}/${entry.partition}`;
          const sequence = sequences.get(key) ?? 0;
          entry.firstSequence = sequence;
          sequences.set(key, (sequence + entry.messages.length) % 2 ** 31);
        }
      }
      const { request } = produce({
        acks: ACKS_ALL,
        timeout: PRODUCE_TIMEOUT_MS,
        compression: NO_COMPRESSION,
        topicData,
        transactionalId: undefined,
        producerId: "1000",
        producerEpoch: 0,
      });
      correlationId = (correlationId + 1) % 2 ** 31;
      frames.push((await encodeRequestFrame({ correlationId, clientId: options.clientId, request })).buffer);
    }
    return frames;
  };
}

/**
 * A Fetch response (v11) as a broker sends it, split into socket-sized chunks:
 * one partition whose records are the given messages in one record batch, as
 * kafkajs's producer encoded it, at `firstOffset`. Set-up only, not measured.
 */
export async function fetchResponseChunks(options: {
  topic: string;
  partition: number;
  firstOffset: number;
  messages: readonly Message[];
}): Promise<Buffer[]> {
  const { messages } = options;
  const now = Date.now();
  const timestamps = messages.map((m) => Number(m.timestamp ?? now));
  const firstTimestamp = Math.min(...timestamps);
  const records = messages.map((message, i) =>
    encodeRecord({ ...message, offsetDelta: i, timestampDelta: (timestamps[i] ?? now) - firstTimestamp }),
  );
  const batch = await RecordBatch({
    records,
    firstOffset: String(options.firstOffset),
    firstTimestamp,
    maxTimestamp: Math.max(...timestamps),
    producerId: "1000",
    lastOffsetDelta: records.length - 1,
  });
  const highWatermark = String(options.firstOffset + messages.length);
  const body = new EncoderClass()
    .writeInt32(0) // throttle_time_ms
    .writeInt16(0) // error_code
    .writeInt32(0) // session_id
    .writeInt32(1) // responses
    .writeString(options.topic)
    .writeInt32(1) // partition_responses
    .writeInt32(options.partition)
    .writeInt16(0) // error_code
    .writeInt64(highWatermark)
    .writeInt64(highWatermark) // last_stable_offset
    .writeInt64(0) // log_start_offset
    .writeInt32(0) // aborted_transactions
    .writeInt32(-1) // preferred_read_replica
    .writeInt32(batch.size())
    .writeEncoder(batch);
  const correlationId = 1;
  const frame = new EncoderClass()
    .writeInt32(body.size() + 4)
    .writeInt32(correlationId)
    .writeEncoder(body).buffer;
  const chunks: Buffer[] = [];
  for (let at = 0; at < frame.length; at += SOCKET_CHUNK_BYTES)
    chunks.push(frame.subarray(at, at + SOCKET_CHUNK_BYTES));
  return chunks;
}

const fetchResponse = requests.Fetch.protocol({ version: FETCH_VERSION })({}).response;

/**
 * What a kafkajs consumer does with a Fetch response's bytes before `eachBatch`:
 * joins the socket chunks, splits off the frame (network/connection.js),
 * decodes and checks the response, and builds each partition's Batch (which
 * drops records below the fetched offset and control records).
 */
export async function decodeFetchResponse(chunks: readonly Buffer[], fetchedOffset: string): Promise<Batch[]> {
  const buffer = chunks.length > 1 ? Buffer.concat(chunks) : (chunks[0] ?? Buffer.alloc(0));
  const frame = new DecoderClass(buffer);
  const response = new DecoderClass(frame.readBytes(frame.readInt32()));
  response.readInt32(); // correlation id
  const { responses } = await fetchResponse.parse(await fetchResponse.decode(response.readAll()));
  return responses.flatMap(({ topicName, partitions }) =>
    partitions.map((partitionData) => new BatchClass(topicName, fetchedOffset, partitionData)),
  );
}
