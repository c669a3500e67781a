import type { DeviceType } from "@stadtfluss/registry";
import { describe, expect, it } from "vitest";
import { defaultDecoderContext } from "../normalize.ts";
import { genericJson } from "./generic-json.ts";

const RECEIVED = new Date("2026-11-25T07:30:00.500Z");

/** A Buffer is the payload as it stands (JSON.stringify cannot write some payloads worth testing). */
function decode(payload: unknown, type: DeviceType | undefined) {
  return genericJson.decode(
    {
      key: "device-1",
      value: Buffer.isBuffer(payload) ? payload : Buffer.from(JSON.stringify(payload)),
      source: "test",
      format: "generic-json",
      tenant: "musterstadt",
      mqttTopic: "things/device-1",
      receivedAt: RECEIVED,
    },
    { ...defaultDecoderContext, deviceType: (id) => (id === "device-1" ? type : undefined) },
  );
}

const PARKING: DeviceType = {
  id: "parking-sensor",
  fields: [
    { path: "occupied", kind: "parking.occupied", unit: "1" },
    { path: "sensor.temp_dC", kind: "air.temperature", unit: "°C", scale: 0.1 },
  ],
};

describe("generic-json decoder", () => {
  it("maps fields by dotted path, counts booleans as 1 and 0 and applies the scale", () => {
    const { readings } = decode({ occupied: true, sensor: { temp_dC: 215 } }, PARKING);
    expect(readings.map((r) => [r.kind, r.value, r.unit])).toEqual([
      ["parking.occupied", 1, "1"],
      ["air.temperature", 21.5, "°C"],
    ]);
  });

  it("lists every other number as unmapped, nested ones included", () => {
    const { unmapped } = decode(
      { occupied: false, rssi: -80, sensor: { temp_dC: 215, vbat: 3.1 }, fw: "1.2" },
      PARKING,
    );
    expect(unmapped).toEqual(["rssi", "sensor.vbat"]);
  });

  it("skips a mapped field that is absent or null", () => {
    expect(decode({ occupied: null, sensor: {} }, { ...PARKING }).readings).toEqual([]);
  });

  it("reads a local time in the context's zone and an ISO time with offset as given", () => {
    const type = { ...PARKING, timePath: "at" };
    expect(decode({ at: "2026-07-01T12:00:00", occupied: true }, type).readings[0]?.observedAt.toISOString()).toBe(
      "2026-07-01T10:00:00.000Z",
    );
    expect(decode({ at: "2026-07-01T12:00:00Z", occupied: true }, type).readings[0]?.observedAt.toISOString()).toBe(
      "2026-07-01T12:00:00.000Z",
    );
  });

  it("uses the receive time without timePath", () => {
    expect(decode({ occupied: true }, PARKING).readings[0]?.observedAt).toEqual(RECEIVED);
  });

  it("takes seq and the device id from their paths, and refuses a counter that is not a whole number", () => {
    const type = { ...PARKING, seqPath: "n", deviceIdPath: "meta.dev" };
    expect(decode({ n: 7, meta: { dev: 4711 }, occupied: true }, type).readings[0]).toMatchObject({
      deviceId: "4711",
      seq: 7,
    });
    expect(() => decode({ n: 7.5, meta: { dev: "p-1" }, occupied: true }, type)).toThrow(/message counter/);
  });

  it("stores the meter serial its path names with every reading; a number counts, a non-identifier is left out", () => {
    const METER: DeviceType = {
      id: "sub-meter",
      meterSerialPath: "info.serial",
      fields: [
        { path: "total", kind: "energy.active_import", unit: "kWh" },
        { path: "power", kind: "energy.active_power", unit: "W" },
      ],
    };
    const serialsOf = (serial: unknown) =>
      decode({ total: 12.5, power: 300, info: { serial } }, METER).readings.map((r) => r.meterSerial);
    expect(serialsOf("EMH-1ESY1160123456")).toEqual(["EMH-1ESY1160123456", "EMH-1ESY1160123456"]);
    expect(serialsOf(12345678)).toEqual(["12345678", "12345678"]);
    expect(serialsOf("no serial here")).toEqual([undefined, undefined]);
    expect(serialsOf(undefined)).toEqual([undefined, undefined]);
    // A serial taken is no unmapped number; one left out is.
    expect(decode({ total: 1, power: 2, info: { serial: 42 } }, METER).unmapped).toEqual([]);
    expect(decode({ total: 1, power: 2, info: { serial: -42 } }, METER).unmapped).toEqual(["info.serial"]);
    // A serial left out that a field maps is no unmapped number either; for each message of the type anew.
    const MAPPED: DeviceType = {
      ...METER,
      fields: [...(METER.fields ?? []), { path: "info.serial", kind: "energy.active_power", unit: "W" }],
    };
    expect(decode({ total: 1, power: 2, info: { serial: -42 } }, MAPPED).unmapped).toEqual([]);
    expect(decode({ total: 1, power: 2, info: { serial: 42 }, rssi: -70 }, MAPPED).unmapped).toEqual(["rssi"]);
    expect(decode({ total: 1, power: 2, info: { serial: -1 }, rssi: -70 }, METER).unmapped).toEqual([
      "info.serial",
      "rssi",
    ]);
  });

  it("refuses a device without a device type or with one that maps nothing", () => {
    expect(() => decode({ occupied: true }, undefined)).toThrow(/needs a device type with field mappings/);
    expect(() => decode({ occupied: true }, { id: "empty", fields: [] })).toThrow(/needs a device type/);
  });

  it("refuses a payload that is not a JSON object and a mapped field that is not a number", () => {
    expect(() => decode([1, 2], PARKING)).toThrow(/not a JSON object/);
    expect(() => decode({ occupied: "yes" }, PARKING)).toThrow(/occupied is not a number/);
  });

  it("names a value it refuses briefly, however long or deep the value is", () => {
    const type = { ...PARKING, seqPath: "n" };
    const long = () => decode({ n: Array(100_000).fill(7), occupied: true }, type);
    expect(long).toThrow("n (the message counter) is not a non-negative integer: an array");
    const deep = Buffer.from(`{"occupied":${"[".repeat(10_000)}1${"]".repeat(10_000)}}`);
    expect(() => decode(deep, PARKING)).toThrow("occupied is not a number: an array");
  });
});
