import { setTimeout as sleep } from "node:timers/promises";
import {
  deadLetterHeaders,
  droppedValueHeader,
  headerString,
  Kafka,
  logLevel,
  type Message,
  rawHeaders,
  topicsFor,
} from "@stadtfluss/kafka";
import { kinds } from "@stadtfluss/schemas";
import {
  type KafkaBroker,
  readMessages,
  startKafkaBroker,
  startWorker,
  uniqueName,
  type WorkerProcess,
} from "@stadtfluss/testing";
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from "vitest";

const servers = inject("servers");

const rawRecord = (device: string, payload: string): Message => ({
  key: device,
  value: payload,
  headers: {
    [rawHeaders.source]: "city",
    [rawHeaders.format]: "stadtfluss-json",
    [rawHeaders.tenant]: "musterstadt",
    [rawHeaders.mqttTopic]: `stadtfluss/musterstadt/${device}/up`,
    [rawHeaders.receivedAt]: new Date().toISOString(),
  },
});

/** One reading of every kind, in its canonical unit. */
const everyKind = Object.entries(kinds).map(([kind, { unit }], i) => ({ kind, value: i, unit }));

const readingsOf = (seq: number) => JSON.stringify({ seq, time: Date.now() - 60_000 + seq, readings: everyKind });

/**
 * In one request: the local broker answers a fetch with one produce request's
 * records, where Kafka returns up to the consumer's 1 MiB per partition, so this
 * is how a consumer here gets the batch a backlog gives it on Kafka.
 */
async function produce(brokers: string[], topic: string, messages: Message[]): Promise<void> {
  const producer = new Kafka({ brokers, logLevel: logLevel.NOTHING }).producer();
  await producer.connect();
  try {
    await producer.send({ topic, acks: -1, messages });
  } finally {
    await producer.disconnect();
  }
}

/** Polls the group's committed offset of partition 0 until it reaches `offset`. */
async function waitForCommit(brokers: string[], groupId: string, topic: string, offset: number): Promise<string> {
  const admin = new Kafka({ brokers, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const deadline = Date.now() + 30_000;
    let committed = "-1";
    while (Date.now() < deadline) {
      const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
      committed = offsets?.partitions.find((p) => p.partition === 0)?.offset ?? "-1";
      if (Number(committed) >= offset) break;
      await sleep(200);
    }
    return committed;
  } finally {
    await admin.disconnect();
  }
}

describe("the normalizer with outputs larger than one Kafka request", () => {
  let normalizer: WorkerProcess | undefined;

  afterEach(async () => {
    await normalizer?.stop();
    normalizer = undefined;
  });

  it("stores a backlog whose observations for one partition exceed message.max.bytes, then commits it", async () => {
    const prefix = `${uniqueName("backlog")}.`;
    const topics = topicsFor(prefix);
    // One device, 150 messages of one reading per kind: about 330 KB of raw data,
    // read in one batch, become about 1.8 MB of observations for one partition.
    const messages = 150;
    await produce(
      servers.kafkaBrokers,
      topics.raw,
      Array.from({ length: messages }, (_, seq) => rawRecord("meter-0001", readingsOf(seq))),
    );
    normalizer = await startWorker("normalizer", {
      KAFKA_BROKERS: servers.kafkaBrokers.join(","),
      KAFKA_TOPIC_PREFIX: prefix,
      KAFKA_GROUP_ID: `${prefix}normalizer`,
    });

    const expected = messages * everyKind.length;
    const observations = await readMessages(servers.kafkaBrokers, topics.observations, expected, 60_000);
    const distinct = new Set(
      observations.map((o) => {
        const { seq, kind } = JSON.parse(o.value?.toString() ?? "{}");
        return `${seq}/${kind}`;
      }),
    );
    expect(distinct.size).toBe(expected);
    expect(await waitForCommit(servers.kafkaBrokers, `${prefix}normalizer`, topics.raw, messages)).toBe(
      String(messages),
    );
  });

  describe("on a cluster whose dead-letter topic takes less than the raw topic", () => {
    let broker: KafkaBroker;

    beforeAll(async () => {
      broker = await startKafkaBroker({ brokers: 1, partitions: 1 });
    });

    afterAll(async () => {
      await broker?.stop();
    });

    it("dead-letters a message too large for that topic without its payload, and the partition moves on", async () => {
      const prefix = `${uniqueName("small-dlq")}.`;
      const topics = topicsFor(prefix);
      await broker.createTopic(topics.deadLetter, 1);
      await broker.command(`config ${topics.deadLetter} max.message.bytes 65536`);
      const broken = `{"seq": 1, "time": 0, "readings": [${"x".repeat(200_000)}]}`;
      await produce(broker.brokers, topics.raw, [rawRecord("air-0001", broken), rawRecord("air-0001", readingsOf(2))]);
      normalizer = await startWorker("normalizer", {
        KAFKA_BROKERS: broker.brokers.join(","),
        KAFKA_TOPIC_PREFIX: prefix,
        KAFKA_GROUP_ID: `${prefix}normalizer`,
      });

      const [deadLetter] = await readMessages(broker.brokers, topics.deadLetter, 1);
      expect(deadLetter?.key?.toString()).toBe("air-0001");
      expect(deadLetter?.value).toBeNull();
      expect(headerString(deadLetter?.headers, deadLetterHeaders.stage)).toBe("decode");
      expect(headerString(deadLetter?.headers, deadLetterHeaders.offset)).toBe("0");
      expect(headerString(deadLetter?.headers, droppedValueHeader)).toBe(String(Buffer.byteLength(broken)));
      const observations = await readMessages(broker.brokers, topics.observations, everyKind.length);
      expect(new Set(observations.map((o) => JSON.parse(o.value?.toString() ?? "{}").seq))).toEqual(new Set([2]));
      expect(await waitForCommit(broker.brokers, `${prefix}normalizer`, topics.raw, 2)).toBe("2");
    });
  });
});
