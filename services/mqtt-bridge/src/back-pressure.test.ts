import { EventEmitter } from "node:events";
import { setImmediate as turn } from "node:timers/promises";
import {
  type Message,
  type ProducerRecord,
  type RecordMetadata,
  type RenewingProducer,
  topicsFor,
} from "@stadtfluss/kafka";
import { createLogger, createPipelineMetrics } from "@stadtfluss/telemetry";
import type { IPublishPacket, MqttClient, Packet } from "mqtt";
import { describe, expect, it } from "vitest";
import { loadConfig } from "./config.ts";
import { createBridge } from "./mqtt-bridge.ts";

/**
 * The bridge between an MQTT client and a Kafka producer that both answer when
 * the test says so: what mqtt.js would write to the socket (PUBACKs), which reads
 * it would go on with, and what Kafka was asked to store.
 */
function harness(protocolVersion: 4 | 5, bounds: { maxInFlight: number; maxInFlightBytes: number }) {
  const sends: { messages: Message[]; store: () => void; refuse: (error: Error) => void }[] = [];
  const producer = {
    refusal: undefined,
    connect: async () => {},
    disconnect: async () => {},
    send: (record: ProducerRecord) =>
      new Promise<RecordMetadata[]>((resolve, reject) => {
        sends.push({ messages: record.messages, store: () => resolve([]), refuse: reject });
      }),
  } as unknown as RenewingProducer;

  /** PUBACKs written to the socket, by packet id. */
  const acknowledged: number[] = [];
  /** Packet ids whose read mqtt.js was allowed to finish (it reads the next packet only then). */
  const readsDone: number[] = [];
  const client = Object.assign(new EventEmitter(), {
    connected: false,
    handleMessage: (_packet: IPublishPacket, _done: () => void) => {},
    _sendPacket(packet: Packet, callback?: () => void) {
      if (packet.cmd === "puback" && packet.messageId !== undefined) acknowledged.push(packet.messageId);
      callback?.();
    },
    onKeepaliveTimeout() {},
    sendPing() {},
    reschedulePing() {},
    end() {},
    endAsync: async () => {},
  });

  const [source] = loadConfig({
    KAFKA_BROKERS: "k:9092",
    MQTT_SOURCES: JSON.stringify([
      {
        id: "city",
        url: "mqtt://127.0.0.1:1883",
        protocolVersion,
        subscriptions: [{ topic: "s/{tenant}/{device}/up", format: "stadtfluss-json" }],
      },
    ]),
  }).sources;
  if (!source) throw new Error("no source");
  const bridge = createBridge({
    sources: [source],
    producer,
    topics: topicsFor(""),
    logger: createLogger("mqtt-bridge", "silent"),
    metrics: createPipelineMetrics("mqtt-bridge"),
    connectMqtt: () => client as unknown as MqttClient,
    maxPayloadBytes: 10_000,
    lingerMs: 0,
    maxRequestBytes: 1_000_000,
    ...bounds,
  });
  // Connecting waits for a CONNACK that never comes; the message handler is in place before.
  void bridge.start({ fatal: (error) => expect.unreachable(String(error)), finished: () => {} });

  /** A QoS 1 PUBLISH arriving as mqtt.js hands it over: the PUBACK is sent once the read is done. */
  const receive = (messageId: number, payloadBytes = 10) =>
    client.handleMessage(
      {
        cmd: "publish",
        topic: `s/musterstadt/dev-${messageId}/up`,
        payload: Buffer.alloc(payloadBytes, "x"),
        qos: 1,
        dup: false,
        retain: false,
        messageId,
        length: payloadBytes,
      },
      () => {
        readsDone.push(messageId);
        client._sendPacket({ cmd: "puback", messageId });
      },
    );
  /** Lets the sink send what collected and the bridge react to Kafka's answers. */
  const settle = async () => {
    for (let i = 0; i < 5; i++) await turn();
  };
  return { bridge, sends, acknowledged, readsDone, receive, settle };
}

/** As kafkajs reports a record the broker refuses: the broker's error code in the cause. */
function refusedRecords(): Error {
  const cause = Object.assign(new Error("message too large"), { type: "MESSAGE_TOO_LARGE" });
  return Object.assign(new Error("message too large", { cause }), { name: "KafkaJSNonRetriableError" });
}

const keysOf = (messages: Message[]) => messages.map((m) => String(m.key));

describe("the bridge's back-pressure and acknowledgement order", () => {
  it("acknowledges to MQTT only what Kafka stored, in arrival order, however Kafka's answers come back", async () => {
    const { sends, acknowledged, readsDone, receive, settle } = harness(4, { maxInFlight: 100, maxInFlightBytes: 1e6 });
    await settle();
    for (const id of [1, 2, 3]) receive(id);
    expect(readsDone).toEqual([1, 2, 3]);
    await settle();
    expect(sends.map((s) => keysOf(s.messages))).toEqual([["dev-1", "dev-2", "dev-3"]]);
    expect(acknowledged).toEqual([]);

    // Kafka refuses one record of the batch: each is sent alone, and the answers come back in reverse.
    sends[0]?.refuse(refusedRecords());
    await settle();
    const [, ...alone] = sends;
    expect(alone.map((s) => keysOf(s.messages))).toEqual([["dev-1"], ["dev-2"], ["dev-3"]]);
    alone[2]?.store();
    alone[1]?.store();
    await settle();
    expect(acknowledged).toEqual([]);
    alone[0]?.store();
    await settle();
    expect(acknowledged).toEqual([1, 2, 3]);
  });

  it("stops reading past the count bound and reads on once Kafka stored enough", async () => {
    const { bridge, sends, acknowledged, readsDone, receive, settle } = harness(4, {
      maxInFlight: 3,
      maxInFlightBytes: 1e6,
    });
    await settle();
    receive(1);
    receive(2);
    await settle();
    // A produce request is under way; what arrives meanwhile collects for the next one.
    receive(3);
    receive(4);
    expect(readsDone).toEqual([1, 2, 3]);

    sends[0]?.store();
    await settle();
    expect(acknowledged).toEqual([1, 2]);
    // Two in flight, below the bound: the held read goes on, its PUBACK waits for Kafka.
    expect(readsDone).toEqual([1, 2, 3, 4]);
    expect(sends.map((s) => keysOf(s.messages))).toEqual([
      ["dev-1", "dev-2"],
      ["dev-3", "dev-4"],
    ]);
    sends[1]?.store();
    await settle();
    expect(acknowledged).toEqual([1, 2, 3, 4]);
    await bridge.stop();
  });

  it("stops reading past the byte bound on MQTT 5 too, where the broker's window is the count bound", async () => {
    const { sends, acknowledged, readsDone, receive, settle } = harness(5, {
      maxInFlight: 1_000,
      maxInFlightBytes: 250,
    });
    await settle();
    receive(1, 100);
    receive(2, 100);
    receive(3, 100);
    expect(readsDone).toEqual([1, 2]);
    await settle();
    expect(acknowledged).toEqual([]);

    for (const send of sends) send.store();
    await settle();
    expect(readsDone).toEqual([1, 2, 3]);
    expect(acknowledged).toEqual([1, 2, 3]);
  });
});
