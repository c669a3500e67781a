import { describe, expect, it } from "vitest";
import { defaultDecoderContext } from "../normalize.ts";
import type { DecoderContext, RawRecord } from "../raw-record.ts";
import { chirpstackV4 } from "./chirpstack-v4.ts";

function record(key: string | undefined, payload: unknown): RawRecord {
  return {
    key,
    value: Buffer.from(JSON.stringify(payload)),
    source: "chirpstack",
    format: "chirpstack-v4",
    tenant: "musterstadt",
    mqttTopic: `application/17c82e96-be03-4f38-aef3-f83d48582d97/device/${key}/event/up`,
    receivedAt: new Date("2026-11-25T07:30:01.000Z"),
  };
}

const context: DecoderContext = {
  ...defaultDecoderContext,
  deviceType: () => ({ id: "em300-th", fields: [{ path: "temperature", kind: "air.temperature", unit: "°C" }] }),
};

describe("chirpstack-v4", () => {
  it("keeps the topic's spelling of the DevEUI when it names the same device", () => {
    const event = {
      deviceInfo: { devEui: "a84041000181c61d" },
      time: "2026-11-25T07:30:00Z",
      object: { temperature: 5 },
    };
    expect(chirpstackV4.decode(record("A84041000181C61D", event), context).readings[0]?.deviceId).toBe(
      "A84041000181C61D",
    );
    expect(chirpstackV4.decode(record("0101010101010101", event), context).readings[0]?.deviceId).toBe(
      "a84041000181c61d",
    );
  });

  it("takes the bridge's reception time when the event has no time", () => {
    const event = { deviceInfo: { devEui: "a84041000181c61d" }, fCnt: 9, object: { temperature: 5 } };
    const [reading] = chirpstackV4.decode(record("a84041000181c61d", event), context).readings;
    expect(reading?.observedAt.toISOString()).toBe("2026-11-25T07:30:01.000Z");
    expect(reading?.seq).toBe(9);
  });

  it("refuses an object field that is not a number, naming it", () => {
    const event = { deviceInfo: { devEui: "a84041000181c61d" }, object: { temperature: "warm" } };
    expect(() => chirpstackV4.decode(record("a84041000181c61d", event), context)).toThrow(
      'object.temperature is not a number: "warm"',
    );
  });
});
