import { type KafkaBroker, startKafkaBroker, uniqueName } from "@stadtfluss/testing";
import { Kafka, logLevel } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { consumeBatches } from "./consume-batches.ts";

describe("consuming a fetch response's partitions over a real Kafka-protocol broker", () => {
  let broker: KafkaBroker;
  let kafka: Kafka;

  beforeAll(async () => {
    // One broker leading every partition, as compose runs it: one fetch answers for all of them.
    broker = await startKafkaBroker({ brokers: 1, partitions: 6 });
    kafka = new Kafka({ brokers: broker.brokers, logLevel: logLevel.NOTHING });
  });

  afterAll(async () => {
    await broker?.stop();
  });

  it("hands the partitions of one fetch to the handler together and commits each of them", async () => {
    const topic = uniqueName("grouped");
    const groupId = uniqueName("grouped-group");
    await broker.createTopic(topic, 6);
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic,
      messages: Array.from({ length: 60 }, (_, n) => ({ partition: n % 6, value: String(n) })),
    });
    await producer.disconnect();

    const calls: number[][] = [];
    const handled: string[] = [];
    const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 100 });
    await consumer.connect();
    const admin = kafka.admin();
    await admin.connect();
    try {
      await consumeBatches({
        consumer,
        topic,
        handle: async (batches) => {
          calls.push(batches.map((batch) => batch.partition).sort());
          for (const batch of batches) for (const message of batch.messages) handled.push(String(message.value));
        },
      });
      await expect.poll(() => handled.length, { timeout: 20_000 }).toBe(60);
      expect(handled.map(Number).sort((a, b) => a - b)).toEqual(Array.from({ length: 60 }, (_, n) => n));
      expect(calls[0]).toEqual([0, 1, 2, 3, 4, 5]);
      const committed = async () =>
        (await admin.fetchOffsets({ groupId, topics: [topic] }))[0]?.partitions
          .map(({ partition, offset }) => [partition, offset])
          .sort((a, b) => Number(a[0]) - Number(b[0]));
      await expect.poll(committed, { timeout: 10_000 }).toEqual(Array.from({ length: 6 }, (_, p) => [p, "10"]));
    } finally {
      await admin.disconnect();
      await consumer.disconnect();
    }
  });
});
