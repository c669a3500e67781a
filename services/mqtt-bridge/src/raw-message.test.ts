import { headerString, rawHeaders } from "@stadtfluss/kafka";
import type { IPublishPacket } from "mqtt";
import { describe, expect, it } from "vitest";
import { loadConfig } from "./config.ts";
import { rawMessage } from "./raw-message.ts";

function city() {
  const source = {
    id: "city",
    url: "mqtt://127.0.0.1:1883",
    subscriptions: [{ topic: "stadtfluss/{tenant}/{device}/up", format: "sensor-community" }],
  };
  const [parsed] = loadConfig({ KAFKA_BROKERS: "k:9092", MQTT_SOURCES: JSON.stringify([source]) }).sources;
  if (!parsed) throw new Error("no source");
  return parsed;
}

function packet(overrides: Partial<IPublishPacket> = {}): IPublishPacket {
  return {
    cmd: "publish",
    topic: "stadtfluss/musterstadt/esp-1/up",
    payload: Buffer.from('{"sensordatavalues":[]}'),
    qos: 1,
    dup: false,
    retain: false,
    messageId: 42,
    ...overrides,
  };
}

const receivedAt = new Date("2026-11-25T07:30:00.000Z");

describe("raw message", () => {
  it("carries the retain and DUP flags and the packet identifier of a QoS 1 message", () => {
    const { headers } = rawMessage(city(), packet({ retain: true, dup: true, messageId: 7 }), receivedAt);
    expect(headerString(headers, rawHeaders.mqttRetain)).toBe("1");
    expect(headerString(headers, rawHeaders.mqttDup)).toBe("1");
    expect(headerString(headers, rawHeaders.mqttPacketId)).toBe("7");
  });

  it("leaves the flags out when they are not set, and the packet identifier of a QoS 0 message", () => {
    const { messageId: _, ...qos0 } = packet({ qos: 0 });
    const { headers } = rawMessage(city(), qos0, receivedAt);
    expect(headers).not.toHaveProperty(rawHeaders.mqttRetain);
    expect(headers).not.toHaveProperty(rawHeaders.mqttDup);
    expect(headers).not.toHaveProperty(rawHeaders.mqttPacketId);
  });

  it("gives messages of one topic read in the same millisecond increasing receive times, other topics theirs", () => {
    const source = city();
    const times = [packet(), packet(), packet(), packet({ topic: "stadtfluss/musterstadt/esp-2/up" })].map(
      (p) => rawMessage(source, p, receivedAt).headers?.[rawHeaders.receivedAt],
    );
    expect(times).toEqual([
      "2026-11-25T07:30:00.000Z",
      "2026-11-25T07:30:00.001Z",
      "2026-11-25T07:30:00.002Z",
      "2026-11-25T07:30:00.000Z",
    ]);
    // Once the clock has passed them, receive times are the clock's again.
    const later = new Date(receivedAt.getTime() + 2_000);
    expect(rawMessage(source, packet(), later).headers?.[rawHeaders.receivedAt]).toBe(later.toISOString());
    expect(rawMessage(source, packet(), later).timestamp).toBe(String(later.getTime() + 1));
  });
});
