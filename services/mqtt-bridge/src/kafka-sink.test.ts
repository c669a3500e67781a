import type { Message, Producer, ProducerRecord, RecordMetadata } from "@stadtfluss/kafka";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { KafkaSink } from "./kafka-sink.ts";

/** Records every send; each send is acknowledged when the test says so. */
function recordingProducer() {
  const sends: { messages: Message[]; acknowledge: () => void; fail: (error: Error) => void }[] = [];
  const producer = {
    send: (record: ProducerRecord) =>
      new Promise<RecordMetadata[]>((resolve, reject) => {
        sends.push({ messages: record.messages, acknowledge: () => resolve([]), fail: reject });
      }),
  } as unknown as Producer;
  return { producer, sends };
}

/** As kafkajs reports them: its own error, with the broker's error code in the cause. */
function kafkaError(message: string, type?: string): Error {
  const cause = Object.assign(new Error(message), type ? { type } : {});
  return Object.assign(new Error(message, { cause }), { name: "KafkaJSNonRetriableError" });
}

const message = (n: number): Message => ({ key: `device-${n}`, value: `payload ${n}` });

describe("Kafka sink", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("holds the first message of a batch for the linger time and sends what collected meanwhile together", async () => {
    const { producer, sends } = recordingProducer();
    const sink = new KafkaSink(producer, "raw", { lingerMs: 100 });
    void sink.send(message(1));
    await vi.advanceTimersByTimeAsync(60);
    void sink.send(message(2));
    expect(sends).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(40);
    expect(sends.map((s) => s.messages.length)).toEqual([2]);
  });

  it("settles a caller's promise only once Kafka acknowledged its batch", async () => {
    const { producer, sends } = recordingProducer();
    const sink = new KafkaSink(producer, "raw", { lingerMs: 10 });
    let stored = false;
    void sink.send(message(1)).then(() => {
      stored = true;
    });
    await vi.advanceTimersByTimeAsync(10);
    expect(stored).toBe(false);
    sends[0]?.acknowledge();
    await vi.advanceTimersByTimeAsync(0);
    expect(stored).toBe(true);
  });

  it("keeps one request under way and sends what collected during it as the next batch", async () => {
    const { producer, sends } = recordingProducer();
    const sink = new KafkaSink(producer, "raw", { lingerMs: 10 });
    void sink.send(message(1));
    await vi.advanceTimersByTimeAsync(10);
    for (let n = 2; n <= 4; n++) void sink.send(message(n));
    await vi.advanceTimersByTimeAsync(50);
    expect(sends).toHaveLength(1);
    sends[0]?.acknowledge();
    await vi.advanceTimersByTimeAsync(0);
    expect(sends.map((s) => s.messages.length)).toEqual([1, 3]);
  });

  it("sends a full batch at once without waiting for the linger time", async () => {
    const { producer, sends } = recordingProducer();
    const sink = new KafkaSink(producer, "raw", { lingerMs: 1_000, maxBatch: 3 });
    for (let n = 1; n <= 3; n++) void sink.send(message(n));
    expect(sends.map((s) => s.messages.length)).toEqual([3]);
  });

  it("splits what collected during a long request into requests of at most the batch limit", async () => {
    const { producer, sends } = recordingProducer();
    const sink = new KafkaSink(producer, "raw", { lingerMs: 10, maxBatch: 3 });
    void sink.send(message(0));
    await vi.advanceTimersByTimeAsync(10);
    for (let n = 1; n <= 5; n++) void sink.send(message(n));
    sends[0]?.acknowledge();
    await vi.advanceTimersByTimeAsync(0);
    sends[1]?.acknowledge();
    await vi.advanceTimersByTimeAsync(0);
    expect(sends.map((s) => s.messages.length)).toEqual([1, 3, 2]);
  });

  it("without a linger time sends the messages of one turn of the event loop together", async () => {
    const { producer, sends } = recordingProducer();
    const sink = new KafkaSink(producer, "raw");
    void sink.send(message(1));
    void sink.send(message(2));
    await vi.advanceTimersByTimeAsync(0);
    expect(sends.map((s) => s.messages.length)).toEqual([2]);
  });

  it("sends the same batch again while Kafka is unavailable, however often, and settles only when Kafka has it", async () => {
    const { producer, sends } = recordingProducer();
    const retries: number[] = [];
    const sink = new KafkaSink(producer, "raw", { lingerMs: 10, onRetry: (_, attempt) => retries.push(attempt) });
    const settled: string[] = [];
    for (let n = 1; n <= 3; n++)
      void sink.send(message(n)).then(
        () => settled.push(`stored ${n}`),
        () => settled.push(`failed ${n}`),
      );
    await vi.advanceTimersByTimeAsync(10);
    for (let attempt = 0; attempt < 4; attempt++) {
      sends.at(-1)?.fail(kafkaError("Connection error: connect ECONNREFUSED", undefined));
      await vi.advanceTimersByTimeAsync(10_000);
    }
    expect(settled).toEqual([]);
    sends.at(-1)?.acknowledge();
    await vi.advanceTimersByTimeAsync(0);
    expect(sends.map((s) => s.messages.map((m) => m.key))).toEqual(Array(5).fill(["device-1", "device-2", "device-3"]));
    expect(retries).toEqual([1, 2, 3, 4]);
    expect(settled).toEqual(["stored 1", "stored 2", "stored 3"]);
  });

  it("gives back only the record Kafka refuses, the others of its batch are stored", async () => {
    const { producer, sends } = recordingProducer();
    const sink = new KafkaSink(producer, "raw", { lingerMs: 10 });
    const settled: string[] = [];
    for (let n = 1; n <= 3; n++)
      void sink.send(message(n)).then(
        () => settled.push(`stored ${n}`),
        () => settled.push(`refused ${n}`),
      );
    await vi.advanceTimersByTimeAsync(10);
    sends[0]?.fail(kafkaError("The request included a message larger than the max message size", "MESSAGE_TOO_LARGE"));
    await vi.advanceTimersByTimeAsync(0);
    expect(sends.slice(1).map((s) => s.messages.map((m) => m.key))).toEqual([["device-1"], ["device-2"], ["device-3"]]);
    sends[1]?.acknowledge();
    sends[2]?.fail(kafkaError("The request included a message larger than the max message size", "MESSAGE_TOO_LARGE"));
    sends[3]?.acknowledge();
    await vi.advanceTimersByTimeAsync(0);
    expect(settled.sort()).toEqual(["refused 2", "stored 1", "stored 3"]);
  });

  it("reports each batch Kafka stored once, with its messages, and none that it refused", async () => {
    const { producer, sends } = recordingProducer();
    const stored: number[] = [];
    const sink = new KafkaSink(producer, "raw", { lingerMs: 10, onStored: (messages) => stored.push(messages) });
    const settled: string[] = [];
    for (let n = 1; n <= 3; n++) sink.add(message(n), (error) => settled.push(`${error ? "refused" : "stored"} ${n}`));
    await vi.advanceTimersByTimeAsync(10);
    sends[0]?.acknowledge();
    await vi.advanceTimersByTimeAsync(0);
    expect(stored).toEqual([3]);
    expect(settled).toEqual(["stored 1", "stored 2", "stored 3"]);
    for (let n = 4; n <= 5; n++) sink.add(message(n), (error) => settled.push(`${error ? "refused" : "stored"} ${n}`));
    await vi.advanceTimersByTimeAsync(10);
    sends[1]?.fail(kafkaError("The request included a message larger than the max message size", "MESSAGE_TOO_LARGE"));
    await vi.advanceTimersByTimeAsync(0);
    sends[2]?.fail(kafkaError("The request included a message larger than the max message size", "MESSAGE_TOO_LARGE"));
    sends[3]?.acknowledge();
    await vi.advanceTimersByTimeAsync(0);
    expect(stored).toEqual([3, 1]);
    expect(settled.slice(3).sort()).toEqual(["refused 4", "stored 5"]);
  });
});
