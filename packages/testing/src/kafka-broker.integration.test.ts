import { connect } from "node:net";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { type ISocketFactory, Kafka, logLevel, type Producer } from "kafkajs";
import { afterAll, beforeAll, describe, expect, inject, it, vi } from "vitest";
import { startProcess } from "./child-process.ts";
import { type KafkaBroker, startKafkaBroker } from "./kafka-broker.ts";
import { readMessages } from "./kafka-reader.ts";
import { repositoryRoot } from "./repository-root.ts";
import { uniqueName } from "./unique-name.ts";

const servers = inject("servers");

/**
 * Apache Kafka counts a record batch whole: its 61-byte header (which holds the
 * 12 bytes of offset and length that message.max.bytes includes) and its records.
 * One record with no key and no headers, whose lengths take 3 bytes each (values
 * of 8 KiB to 1 MiB), adds 11 bytes: length (3), attributes, timestamp and offset
 * deltas, key length, value length (3), header count.
 */
function batchOfOneValue(batchBytes: number): Buffer {
  const valueBytes = batchBytes - 61 - 11;
  if (valueBytes < 8_192 || valueBytes > 1_048_567) throw new Error(`no 3-byte lengths for ${valueBytes} bytes`);
  return Buffer.alloc(valueBytes, 1);
}

/** The broker's error code anywhere in kafkajs's chain of causes. */
function brokerErrorType(error: unknown): string | undefined {
  for (let e = error; e instanceof Error; e = e.cause) {
    const type = (e as Error & { type?: string }).type;
    if (type) return type;
  }
  return undefined;
}

async function refusal(send: Promise<unknown>): Promise<string | undefined> {
  try {
    await send;
  } catch (error) {
    return brokerErrorType(error) ?? String(error);
  }
  return undefined;
}

async function connectedProducer(brokers: string[], idempotent = false): Promise<Producer> {
  const producer = new Kafka({ brokers, logLevel: logLevel.NOTHING }).producer({
    idempotent,
    retry: { retries: 1, initialRetryTime: 50 },
  });
  await producer.connect();
  return producer;
}

describe("the local Kafka-protocol broker", () => {
  it("keeps unread data past 5 MiB per partition, as Kafka keeps it for its retention time", async () => {
    const topic = uniqueName("retention");
    const producer = new Kafka({ brokers: servers.kafkaBrokers, logLevel: logLevel.NOTHING }).producer();
    await producer.connect();
    try {
      // 8 MiB into one partition, in requests of 256 KiB: librdkafka's mock
      // would by itself have deleted the first 3 MiB by the end.
      const value = Buffer.alloc(16 * 1024, 1);
      for (let request = 0; request < 32; request++) {
        const messages = Array.from({ length: 16 }, (_, i) => ({
          key: "one",
          value,
          headers: { n: String(request * 16 + i) },
        }));
        await producer.send({ topic, acks: -1, messages });
      }
    } finally {
      await producer.disconnect();
    }
    const [first] = await readMessages(servers.kafkaBrokers, topic, 1);
    expect(first?.offset).toBe("0");
    expect(first?.headers?.n?.toString()).toBe("0");
  });

  it("refuses a record batch over Kafka's default message.max.bytes (1,048,588) with MESSAGE_TOO_LARGE", async () => {
    const topic = uniqueName("size-limit");
    const producer = await connectedProducer(servers.kafkaBrokers);
    try {
      const send = (batchBytes: number) =>
        producer.send({ topic, acks: -1, messages: [{ key: null, value: batchOfOneValue(batchBytes) }] });
      expect(await refusal(send(1_048_589))).toBe("MESSAGE_TOO_LARGE");
      expect(await refusal(send(1_048_588))).toBeUndefined();

      // What the limit is about: many small records for one partition in one request.
      const messages = Array.from({ length: 6_000 }, (_, i) => ({ key: "one-device", value: `${i}`.padEnd(200) }));
      expect(await refusal(producer.send({ topic, acks: -1, messages }))).toBe("MESSAGE_TOO_LARGE");
      expect(await refusal(producer.send({ topic, acks: -1, messages: messages.slice(0, 3_000) }))).toBeUndefined();
      expect(await refusal(producer.send({ topic, acks: -1, messages: messages.slice(3_000) }))).toBeUndefined();
    } finally {
      await producer.disconnect();
    }
    // The refused batches left nothing behind: only the one large record and the two halves are there.
    const admin = new Kafka({ brokers: servers.kafkaBrokers, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      const offsets = await admin.fetchTopicOffsets(topic);
      expect(offsets.reduce((sum, p) => sum + Number(p.high) - Number(p.low), 0)).toBe(1 + 6_000);
    } finally {
      await admin.disconnect();
    }
  });

  it("hands a group member whose SyncGroup arrives after the leader's its assignment, as Kafka does", async () => {
    const topic = uniqueName("late-sync");
    const groupId = uniqueName("late-sync-group");
    const producer = await connectedProducer(servers.kafkaBrokers);
    await producer.send({ topic, messages: [{ value: "x" }] });
    await producer.disconnect();

    // The second member's requests reach the broker 500 ms late, so its SyncGroup comes after the leader's.
    const slowNetwork: ISocketFactory = ({ host, port, onConnect }) => {
      const socket = connect({ host, port }, onConnect);
      const write = socket.write.bind(socket) as (data: Uint8Array | string) => boolean;
      socket.write = ((data: Uint8Array | string) => {
        setTimeout(() => write(data), 500);
        return true;
      }) as typeof socket.write;
      return socket;
    };
    const members = [
      new Kafka({ brokers: servers.kafkaBrokers, logLevel: logLevel.NOTHING }),
      new Kafka({ brokers: servers.kafkaBrokers, logLevel: logLevel.NOTHING, socketFactory: slowNetwork }),
    ].map((kafka) => kafka.consumer({ groupId, sessionTimeout: 6_000, maxWaitTimeInMs: 100 }));
    // Each member's latest assignment; a crash of either fails the test at once.
    const assigned: number[][] = [[], []];
    let crash: unknown;
    members.forEach((consumer, i) => {
      consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
        assigned[i] = payload.memberAssignment[topic] ?? [];
      });
      consumer.on(consumer.events.CRASH, ({ payload }) => {
        crash = payload.error;
      });
    });
    try {
      for (const consumer of members) {
        await consumer.connect();
        await consumer.subscribe({ topic, fromBeginning: true });
        await consumer.run({ eachMessage: async () => undefined });
      }
      const deadline = Date.now() + 30_000;
      const shared = () => assigned.every((partitions) => partitions.length > 0);
      while (!shared() && crash === undefined && Date.now() < deadline) await sleep(100);
      expect(crash).toBeUndefined();
      expect(assigned.flat().sort()).toEqual([0, 1, 2]);
      expect(assigned[1]?.length).toBeGreaterThan(0);
    } finally {
      await Promise.all(members.map((consumer) => consumer.disconnect()));
    }
  });

  it("answers a fetch that waits for data as soon as a producer writes, as Kafka does, not at its MaxWait", async () => {
    const topic = uniqueName("fetch-wakes");
    const maxWaitMs = 20_000;
    const producer = await connectedProducer(servers.kafkaBrokers);
    await producer.send({ topic, messages: [{ value: "first" }] });
    const consumer = new Kafka({ brokers: servers.kafkaBrokers, logLevel: logLevel.NOTHING }).consumer({
      groupId: uniqueName("fetch-wakes-group"),
      maxWaitTimeInMs: maxWaitMs,
    });
    const received = new Map<string, number>();
    try {
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({
        eachMessage: async ({ message }) => {
          received.set(String(message.value), Date.now());
        },
      });
      await vi.waitFor(() => expect(received.has("first")).toBe(true), { timeout: 30_000, interval: 50 });
      // Lets the next fetch to every broker arrive there and find nothing, so that it waits.
      await sleep(500);
      const sentAt = Date.now();
      await producer.send({ topic, messages: [{ value: "second" }] });
      await vi.waitFor(() => expect(received.has("second")).toBe(true), { timeout: 2 * maxWaitMs, interval: 50 });
      // Without waking, the waiting fetch comes back empty at its MaxWait and only the next one finds the record.
      expect((received.get("second") ?? Number.POSITIVE_INFINITY) - sentAt).toBeLessThan(maxWaitMs / 2);
    } finally {
      // kafkajs leaves once its last fetch is answered, which here takes up to its MaxWait:
      // records produced meanwhile did not shorten it (tried).
      await consumer.disconnect();
      await producer.disconnect();
    }
  });

  it("holds a fetch until its MinBytes are there, as Kafka does, not until the first record", async () => {
    const topic = uniqueName("fetch-min-bytes");
    const minBytes = 20_000;
    const producer = await connectedProducer(servers.kafkaBrokers);
    const consumer = new Kafka({ brokers: servers.kafkaBrokers, logLevel: logLevel.NOTHING }).consumer({
      groupId: uniqueName("fetch-min-bytes-group"),
      minBytes,
      // Long enough that the records below arrive within it, short enough for kafkajs's leaving.
      maxWaitTimeInMs: 5_000,
    });
    const batches: string[][] = [];
    try {
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({
        eachBatch: async ({ batch }) => {
          if (batch.messages.length > 0) batches.push(batch.messages.map((m) => String(m.value).trim()));
        },
      });
      // One partition (one key): a small record, then records that bring the partition past MinBytes.
      await producer.send({ topic, acks: -1, messages: [{ key: "one", value: "small" }] });
      const large = Array.from({ length: 3 }, (_, i) => ({ key: "one", value: `large-${i}`.padEnd(minBytes / 2) }));
      await producer.send({ topic, acks: -1, messages: large });
      await vi.waitFor(() => expect(batches.flat()).toHaveLength(4), { timeout: 30_000, interval: 50 });
      // A broker that answers at the first record hands the small one over alone.
      expect(batches[0]).toEqual(["small", "large-0", "large-1", "large-2"]);

      // Less than MinBytes is handed over all the same once MaxWait has passed.
      await producer.send({ topic, acks: -1, messages: [{ key: "one", value: "alone" }] });
      await vi.waitFor(() => expect(batches.flat()).toContain("alone"), { timeout: 30_000, interval: 50 });
    } finally {
      await consumer.disconnect();
      await producer.disconnect();
    }
  });

  describe("one broker leading six partitions, as compose runs it", () => {
    let broker: KafkaBroker;

    beforeAll(async () => {
      broker = await startKafkaBroker({ brokers: 1, partitions: 6 });
    });

    afterAll(async () => {
      await broker?.stop();
    });

    it("answers a waiting fetch after all of a produce request's partitions are appended, as Kafka does, not at the first", async () => {
      const topic = uniqueName("fetch-after-produce");
      await broker.createTopic(topic, 6);
      const producer = await connectedProducer(broker.brokers);
      const consumer = new Kafka({ brokers: broker.brokers, logLevel: logLevel.NOTHING }).consumer({
        groupId: uniqueName("fetch-after-produce-group"),
        // Past the pause below, so that the fetch waits; kafkajs leaves only once it is answered.
        maxWaitTimeInMs: 2_000,
      });
      // The batches kafkajs hands over in one turn of the event loop are those of one fetch.
      let turn = 0;
      let turnEnds = false;
      const seen: { partition: number; turn: number }[] = [];
      try {
        await consumer.connect();
        await consumer.subscribe({ topic, fromBeginning: true });
        await consumer.run({
          partitionsConsumedConcurrently: 6,
          eachBatch: async ({ batch }) => {
            if (batch.messages.length === 0) return;
            if (!turnEnds) {
              turnEnds = true;
              setImmediate(() => {
                turn++;
                turnEnds = false;
              });
            }
            seen.push({ partition: batch.partition, turn });
          },
        });
        // Lets the consumer's fetch arrive and find nothing, so that it waits.
        await sleep(500);
        await producer.send({
          topic,
          acks: -1,
          messages: Array.from({ length: 6 }, (_, partition) => ({ partition, value: `to-${partition}` })),
        });
        await vi.waitFor(() => expect(seen).toHaveLength(6), { timeout: 30_000, interval: 50 });
        // A broker that answers at the first append hands the first partition over alone.
        expect(seen.map((batch) => batch.partition).sort()).toEqual([0, 1, 2, 3, 4, 5]);
        expect(new Set(seen.map((batch) => batch.turn)).size).toBe(1);
      } finally {
        await consumer.disconnect();
        await producer.disconnect();
      }
    });
  });

  it("answers a fetch with every record batch from its offset that fits its MaxBytes, as Kafka does, not the first only", async () => {
    const topic = uniqueName("fetch-batches");
    const producer = await connectedProducer(servers.kafkaBrokers);
    try {
      // Five requests, so five record batches in the one partition the key picks, about 20 KB each.
      for (let request = 0; request < 5; request++) {
        const messages = Array.from({ length: 20 }, (_, i) => ({
          key: "one",
          value: `${request * 20 + i}`.padEnd(1_000),
        }));
        await producer.send({ topic, acks: -1, messages });
      }
    } finally {
      await producer.disconnect();
    }
    /** The sizes of the batches a new group's consumer is handed, fetching at most `partitionBytes` per partition. */
    const batchSizes = async (partitionBytes: number) => {
      const consumer = new Kafka({ brokers: servers.kafkaBrokers, logLevel: logLevel.NOTHING }).consumer({
        groupId: uniqueName("fetch-batches-group"),
        maxWaitTimeInMs: 100,
        maxBytesPerPartition: partitionBytes,
      });
      const sizes: number[] = [];
      try {
        await consumer.connect();
        await consumer.subscribe({ topic, fromBeginning: true });
        await consumer.run({
          eachBatch: async ({ batch }) => {
            if (batch.messages.length > 0) sizes.push(batch.messages.length);
          },
        });
        await vi.waitFor(() => expect(sizes.reduce((a, b) => a + b, 0)).toBe(100), { timeout: 30_000, interval: 50 });
      } finally {
        await consumer.disconnect();
      }
      return sizes;
    };
    expect(await batchSizes(1_048_576)).toEqual([100]);
    // Two batches fit in 50,000 bytes, the third does not.
    expect(await batchSizes(50_000)).toEqual([40, 40, 20]);
    // Kafka hands the first batch even when it alone is larger than the limit.
    expect(await batchSizes(5_000)).toEqual([20, 20, 20, 20, 20]);
  });

  it("keeps serving after a client dies while a fetch of it waits", async () => {
    const broker = await startKafkaBroker({ brokers: 1, partitions: 1 });
    const topic = uniqueName("fetch-dropped");
    const maxWaitMs = 1_000;
    // A consumer in a process of its own, killed while its second fetch waits for data.
    const script = `
      import { Kafka, logLevel } from "kafkajs";
      const consumer = new Kafka({ brokers: ${JSON.stringify(broker.brokers)}, logLevel: logLevel.NOTHING })
        .consumer({ groupId: ${JSON.stringify(uniqueName("fetch-dropped-group"))}, maxWaitTimeInMs: ${maxWaitMs} });
      let fetches = 0;
      consumer.on(consumer.events.FETCH_START, () => { if (++fetches === 2) console.log("waiting"); });
      await consumer.connect();
      await consumer.subscribe({ topic: ${JSON.stringify(topic)}, fromBeginning: true });
      await consumer.run({ eachMessage: async () => undefined });
    `;
    const client = startProcess("fetching-client", process.execPath, ["--input-type=module", "-e", script], {
      cwd: join(repositoryRoot(), "packages/testing"),
    });
    try {
      await broker.createTopic(topic, 1);
      await client.waitForLine(/^waiting$/, 30_000);
      client.process.kill("SIGKILL");
      await client.exited;
      // A new connection, which may take the dead one's place in the broker's memory,
      // must hear nothing it did not ask for: not the dead client's fetch, answered.
      const [host, port] = (broker.brokers[0] ?? "").split(":");
      const listener = connect({ host, port: Number(port) });
      const unasked: Buffer[] = [];
      listener.on("data", (data) => unasked.push(data));
      // Past the dead client's MaxWait, when the broker would have answered its fetch.
      await sleep(2 * maxWaitMs);
      listener.destroy();
      expect(Buffer.concat(unasked).length).toBe(0);
      const producer = await connectedProducer(broker.brokers);
      try {
        await producer.send({ topic, messages: [{ value: "after" }] });
      } finally {
        await producer.disconnect();
      }
      const read = await readMessages(broker.brokers, topic, 1);
      expect(read.map((message) => String(message.value))).toEqual(["after"]);
    } finally {
      await client.stop(1_000);
      await broker.stop();
    }
  });

  describe("with its own limits and faults", () => {
    let broker: KafkaBroker;

    beforeAll(async () => {
      broker = await startKafkaBroker({ brokers: 1, partitions: 1, messageMaxBytes: 10_000 });
    });

    afterAll(async () => {
      await broker?.stop();
    });

    const send = (producer: Producer, topic: string, batchBytes: number) =>
      producer.send({ topic, acks: -1, messages: [{ key: null, value: batchOfOneValue(batchBytes) }] });

    async function withProducer(use: (producer: Producer) => Promise<void>): Promise<void> {
      const producer = await connectedProducer(broker.brokers, true);
      try {
        await use(producer);
      } finally {
        await producer.disconnect();
      }
    }

    it("takes the broker's message.max.bytes from --message-max-bytes and a topic's own max.message.bytes", async () => {
      await withProducer(async (producer) => {
        const topic = uniqueName("broker-limit");
        expect(await refusal(send(producer, topic, 10_001))).toBe("MESSAGE_TOO_LARGE");
        expect(await refusal(send(producer, topic, 10_000))).toBeUndefined();

        const small = uniqueName("topic-limit");
        await broker.createTopic(small, 1);
        await broker.command(`config ${small} max.message.bytes 9000`);
        expect(await refusal(send(producer, small, 9_001))).toBe("MESSAGE_TOO_LARGE");
        expect(await refusal(send(producer, small, 9_000))).toBeUndefined();
      });
      await expect(broker.command("config no-such-topic max.message.bytes 2000")).rejects.toThrow(/unknown topic/);
    });

    it("answers UNKNOWN_PRODUCER_ID to a producer whose state it forgot, and takes a new producer's records", async () => {
      const topic = uniqueName("forgotten");
      await withProducer(async (producer) => {
        expect(await refusal(send(producer, topic, 9_000))).toBeUndefined();
        await broker.command("forget-producers");
        expect(await refusal(send(producer, topic, 9_000))).toBe("UNKNOWN_PRODUCER_ID");
      });
      await withProducer(async (producer) => {
        expect(await refusal(send(producer, topic, 9_000))).toBeUndefined();
      });
    });

    it("drops the request errors still queued on clear-err", async () => {
      const topic = uniqueName("cleared");
      await withProducer(async (producer) => {
        await broker.command("err 0 TOPIC_AUTHORIZATION_FAILED 1000");
        expect(await refusal(send(producer, topic, 9_000))).toBe("TOPIC_AUTHORIZATION_FAILED");
        await broker.command("clear-err 0");
        expect(await refusal(send(producer, topic, 9_000))).toBeUndefined();
      });
    });
  });
});
