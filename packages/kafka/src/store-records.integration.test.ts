import { type KafkaBroker, readMessages, startKafkaBroker, uniqueName } from "@stadtfluss/testing";
import { Kafka, logLevel, type Producer } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { refusesRecords } from "./send-until-stored.ts";
import { storeRecords } from "./store-records.ts";

describe("storing records over a real Kafka-protocol broker", () => {
  let broker: KafkaBroker;
  let producer: Producer;

  beforeAll(async () => {
    broker = await startKafkaBroker({ brokers: 1, partitions: 1 });
    producer = new Kafka({ brokers: broker.brokers, logLevel: logLevel.NOTHING }).producer({ idempotent: true });
    await producer.connect();
  });

  afterAll(async () => {
    await producer?.disconnect();
    await broker?.stop();
  });

  it("finds the records a topic with a smaller max.message.bytes refuses, and stores the rest in order", async () => {
    const topic = uniqueName("small-topic");
    await broker.createTopic(topic, 1);
    await broker.command(`config ${topic} max.message.bytes 20000`);
    const records = Array.from({ length: 120 }, (_, n) => ({
      topic,
      message: { key: "device", value: Buffer.alloc(n === 70 ? 30_000 : 900, n % 256), headers: { n: String(n) } },
      n,
    }));

    const refused = await storeRecords(producer, records, { maxRequestBytes: 1_000_000 });

    expect(refused.map((r) => r.n)).toEqual([70]);
    expect(refusesRecords(refused[0]?.error)).toBe(true);
    const stored = await readMessages(broker.brokers, topic, 119);
    expect(stored.map((m) => Number(m.headers?.n?.toString()))).toEqual(
      records.map((r) => r.n).filter((n) => n !== 70),
    );
  });
});
