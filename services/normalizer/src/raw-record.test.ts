import { rawHeaders } from "@stadtfluss/kafka";
import { describe, expect, it } from "vitest";
import { rawRecordOf } from "./raw-record.ts";

/** A raw-topic message as kafkajs hands it over: header values as Buffers. */
function message(headers: Record<string, string>, timestamp = "1796612400000") {
  return {
    key: Buffer.from("zaehler-7"),
    value: Buffer.from('{"v":1}'),
    timestamp,
    attributes: 0,
    offset: "0",
    headers: Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, Buffer.from(value)])),
  };
}

describe("rawRecordOf", () => {
  it("reads the bridge's headers", () => {
    const record = rawRecordOf(
      message({
        [rawHeaders.source]: "city",
        [rawHeaders.format]: "generic-json",
        [rawHeaders.tenant]: "musterstadt",
        [rawHeaders.mqttTopic]: "stadtfluss/musterstadt/zaehler-7/up",
        [rawHeaders.receivedAt]: "2026-12-07T03:40:00.123Z",
        [rawHeaders.mqttRetain]: "1",
        [rawHeaders.mqttDup]: "1",
        [rawHeaders.mqttPacketId]: "65535",
      }),
    );
    expect(record).toEqual({
      key: "zaehler-7",
      value: Buffer.from('{"v":1}'),
      source: "city",
      format: "generic-json",
      tenant: "musterstadt",
      mqttTopic: "stadtfluss/musterstadt/zaehler-7/up",
      receivedAt: new Date("2026-12-07T03:40:00.123Z"),
      retain: true,
      duplicate: true,
      packetId: 65535,
    });
  });

  it("reads a receive time with an offset as Date does, and takes the Kafka timestamp without one", () => {
    expect(rawRecordOf(message({ [rawHeaders.receivedAt]: "2026-12-07T04:40:00.123+01:00" })).receivedAt).toEqual(
      new Date("2026-12-07T03:40:00.123Z"),
    );
    const record = rawRecordOf(message({}, "1796612400000"));
    expect(record.receivedAt).toEqual(new Date(1796612400000));
    expect(record).toMatchObject({ source: "unknown", format: "unknown", tenant: "", retain: false, duplicate: false });
    expect(record.packetId).toBeUndefined();
  });

  it("leaves a malformed receive time invalid for normalize to refuse, and ignores a malformed packet identifier", () => {
    const record = rawRecordOf(message({ [rawHeaders.receivedAt]: "yesterday", [rawHeaders.mqttPacketId]: "123456" }));
    expect(Number.isNaN(record.receivedAt.getTime())).toBe(true);
    expect(record.packetId).toBeUndefined();
  });
});
