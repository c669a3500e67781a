import { deadLetterHeaders, headerString, topicsFor } from "@stadtfluss/kafka";
import { readMessages, startWorker, uniqueName, type WorkerProcess } from "@stadtfluss/testing";
import { Kafka, logLevel } from "kafkajs";
import { afterEach, describe, expect, inject, it } from "vitest";

const servers = inject("servers");

describe("the influx writer's dead letters", () => {
  let writer: WorkerProcess | undefined;

  afterEach(async () => {
    await writer?.stop();
    writer = undefined;
  });

  it("stores dead letters that together exceed message.max.bytes, and the partition moves on", async () => {
    const prefix = `${uniqueName("writer-dlq")}.`;
    const topics = topicsFor(prefix);
    // 2,500 records of one device that are no observation: 400 KB read in one
    // batch (one request: the local broker answers a fetch with one produce
    // request's records), over 1 MB once each carries its dead-letter headers.
    const count = 2_500;
    const producer = new Kafka({ brokers: servers.kafkaBrokers, logLevel: logLevel.NOTHING }).producer();
    await producer.connect();
    try {
      await producer.send({
        topic: topics.observations,
        acks: -1,
        messages: Array.from({ length: count }, (_, i) => ({
          key: "air-0001",
          value: JSON.stringify({ tenant: "musterstadt", deviceId: "air-0001", n: i, note: "x".repeat(100) }),
        })),
      });
    } finally {
      await producer.disconnect();
    }
    writer = await startWorker("influx-writer", {
      KAFKA_BROKERS: servers.kafkaBrokers.join(","),
      KAFKA_TOPIC_PREFIX: prefix,
      KAFKA_GROUP_ID: `${prefix}writer`,
      INFLUX_URL: servers.influxUrl,
      INFLUX_BUCKET: prefix.replaceAll(/[.-]/g, "_"),
    });

    const deadLetters = await readMessages(servers.kafkaBrokers, topics.deadLetter, count, 60_000);
    expect(new Set(deadLetters.map((d) => headerString(d.headers, deadLetterHeaders.offset))).size).toBe(count);
    expect(deadLetters.every((d) => headerString(d.headers, deadLetterHeaders.stage) === "parse")).toBe(true);
  });
});
