import type { Producer, ProducerRecord, RecordMetadata } from "kafkajs";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { needsNewProducer, RenewingProducer, refusesAccess } from "./producer.ts";

/** As kafkajs reports them: its own error, with the broker's error code in the cause. */
function kafkaError(type: string, message = type): Error {
  const cause = Object.assign(new Error(message), { type });
  return Object.assign(new Error(message, { cause }), { name: "KafkaJSNonRetriableError" });
}

interface FakeProducer {
  readonly id: number;
  connects: number;
  /** Connects that fail before one succeeds. */
  failConnects: number;
  disconnects: number;
  /** What each send does; acknowledged when unset. */
  answer: (() => Promise<RecordMetadata[]>) | undefined;
}

function fakes() {
  const made: FakeProducer[] = [];
  const create = () => {
    const fake: FakeProducer = { id: made.length, connects: 0, failConnects: 0, disconnects: 0, answer: undefined };
    made.push(fake);
    return {
      connect: async () => {
        fake.connects++;
        if (fake.failConnects > 0) {
          fake.failConnects--;
          throw new Error("connect failed");
        }
      },
      disconnect: async () => {
        fake.disconnects++;
      },
      send: (_: ProducerRecord) => fake.answer?.() ?? Promise.resolve([]),
    } as unknown as Producer;
  };
  return { made, create };
}

const record: ProducerRecord = { topic: "t", messages: [{ value: "v" }] };
const silent = pino({ level: "silent" });

describe("a producer that renews itself", () => {
  it("replaces itself after UNKNOWN_PRODUCER_ID: the failed send fails, the next goes through a new, connected producer", async () => {
    const { made, create } = fakes();
    const producer = new RenewingProducer(create, silent);
    await producer.connect();
    const [first] = made;
    if (!first) throw new Error("no producer made");
    first.answer = () => Promise.reject(kafkaError("UNKNOWN_PRODUCER_ID"));

    await expect(producer.send(record)).rejects.toThrow("UNKNOWN_PRODUCER_ID");
    await producer.send(record);

    expect(made.map((p) => p.id)).toEqual([0, 1]);
    expect(made[1]?.connects).toBe(1);
    expect(first.disconnects).toBe(1);
  });

  it("disconnects the replaced producer only once its sends under way have settled", async () => {
    const { made, create } = fakes();
    const producer = new RenewingProducer(create, silent);
    await producer.connect();
    const [first] = made;
    if (!first) throw new Error("no producer made");
    let finishSlow: () => void = () => undefined;
    const answers = [
      () => new Promise<RecordMetadata[]>((resolve) => (finishSlow = () => resolve([]))),
      () => Promise.reject(kafkaError("INVALID_PRODUCER_EPOCH")),
    ];
    first.answer = () => answers.shift()?.() ?? Promise.resolve([]);
    const slow = producer.send(record);
    await expect(producer.send(record)).rejects.toThrow("INVALID_PRODUCER_EPOCH");

    expect(first.disconnects).toBe(0);
    finishSlow();
    await slow;
    expect(first.disconnects).toBe(1);
    expect(made).toHaveLength(2);
  });

  it("reports Kafka's refusal of access until a send is stored, and keeps its producer", async () => {
    const { made, create } = fakes();
    const producer = new RenewingProducer(create, silent);
    await producer.connect();
    const [first] = made;
    if (!first) throw new Error("no producer made");
    first.answer = () => Promise.reject(kafkaError("TOPIC_AUTHORIZATION_FAILED", "Not authorized to access topics"));

    expect(producer.refusal).toBeUndefined();
    await expect(producer.send(record)).rejects.toThrow();
    expect(producer.refusal).toBe("Not authorized to access topics");

    first.answer = undefined;
    await producer.send(record);
    expect(producer.refusal).toBeUndefined();
    expect(made).toHaveLength(1);
  });

  it("connects a replacement again on the next send when its connect failed", async () => {
    const { made, create } = fakes();
    const producer = new RenewingProducer(create, silent);
    await producer.connect();
    const [first] = made;
    if (!first) throw new Error("no producer made");
    first.answer = () => Promise.reject(kafkaError("UNKNOWN_PRODUCER_ID"));
    await expect(producer.send(record)).rejects.toThrow();
    const second = made[1];
    if (!second) throw new Error("no replacement made");
    second.failConnects = 1;

    await expect(producer.send(record)).rejects.toThrow("connect failed");
    await producer.send(record);
    expect(second.connects).toBe(2);
    expect(made).toHaveLength(2);
  });
});

describe("which Kafka errors need what", () => {
  it("a new producer: Kafka lost or fenced its producer id", () => {
    for (const type of ["UNKNOWN_PRODUCER_ID", "INVALID_PRODUCER_EPOCH", "OUT_OF_ORDER_SEQUENCE_NUMBER"]) {
      expect(needsNewProducer(kafkaError(type))).toBe(true);
    }
    expect(needsNewProducer(kafkaError("NOT_LEADER_FOR_PARTITION"))).toBe(false);
    expect(needsNewProducer(kafkaError("TOPIC_AUTHORIZATION_FAILED"))).toBe(false);
  });

  it("an operator: Kafka refuses access, by code or by a failed SASL handshake", () => {
    for (const type of ["TOPIC_AUTHORIZATION_FAILED", "CLUSTER_AUTHORIZATION_FAILED", "SASL_AUTHENTICATION_FAILED"]) {
      expect(refusesAccess(kafkaError(type))).toBe(true);
    }
    const sasl = Object.assign(new Error("SASL SCRAM SHA512 authentication failed"), {
      name: "KafkaJSSASLAuthenticationError",
    });
    expect(refusesAccess(new Error("connection failed", { cause: sasl }))).toBe(true);
    expect(refusesAccess(kafkaError("MESSAGE_TOO_LARGE"))).toBe(false);
    expect(refusesAccess(new Error("Connection timeout"))).toBe(false);
  });
});
