import { Kafka, logLevel } from "kafkajs";
import { describe, expect, inject, it } from "vitest";
import { readMessages } from "./kafka-reader.ts";
import { uniqueName } from "./unique-name.ts";

const servers = inject("servers");

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
});
