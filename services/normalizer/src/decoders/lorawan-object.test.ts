import { DecodeError } from "@stadtfluss/errors";
import type { FieldMapping } from "@stadtfluss/registry";
import { describe, expect, it } from "vitest";
import type { Reading } from "../raw-record.ts";
import { fieldTableOf, mapLorawanObject } from "./lorawan-object.ts";

const stamp = { deviceId: "pls-0007", observedAt: new Date("2026-11-25T07:30:00.000Z"), seq: 12 };

function map(object: unknown, fields: readonly FieldMapping[]): { readings: Reading[]; unmapped: string[] } {
  const readings: Reading[] = [];
  const unmapped: string[] = [];
  mapLorawanObject(object, fieldTableOf(fields), stamp, "decoded_payload", readings, unmapped);
  return { readings, unmapped };
}

describe("mapping a decoded LoRaWAN object through a device type's fields", () => {
  it("reads nested dotted paths, applies the scale and stamps device, time and counter", () => {
    const { readings } = map({ sensor: { pm10: 123, pm2_5: 40 } }, [
      { path: "sensor.pm10", kind: "air.pm10", unit: "µg/m³", scale: 0.1 },
    ]);
    expect(readings).toEqual([
      { deviceId: "pls-0007", kind: "air.pm10", value: 12.3, unit: "µg/m³", observedAt: stamp.observedAt, seq: 12 },
    ]);
  });

  it("counts a boolean as 1 or 0", () => {
    const fields = [{ path: "occupied", kind: "parking.occupied", unit: "1" }];
    expect(map({ occupied: true }, fields).readings[0]?.value).toBe(1);
    expect(map({ occupied: false }, fields).readings[0]?.value).toBe(0);
  });

  it("skips a mapped field that is missing or null", () => {
    const fields = [
      { path: "temperature", kind: "air.temperature", unit: "°C" },
      { path: "humidity", kind: "air.humidity", unit: "%" },
    ];
    expect(map({ humidity: null }, fields)).toEqual({ readings: [], unmapped: [] });
  });

  it("refuses a mapped field that is not a number, naming it", () => {
    const fields = [{ path: "Bat", kind: "device.battery_voltage", unit: "V" }];
    expect(() => map({ Bat: "3.384 V" }, fields)).toThrow(
      new DecodeError('decoded_payload.Bat is not a number: "3.384 V"'),
    );
    expect(() => map({ Bat: { volts: 3.3 } }, fields)).toThrow("decoded_payload.Bat is not a number: an object");
  });

  it("reports every leaf no field maps as unmapped, by its dotted path", () => {
    const { unmapped } = map(
      { temperature: 21.5, status: { backlog: "No", fault: false }, bytes: [1, 2, 3], label: null },
      [{ path: "temperature", kind: "air.temperature", unit: "°C" }],
    );
    expect(unmapped.sort()).toEqual(["bytes", "label", "status.backlog", "status.fault"]);
  });

  it("looks inside an array only where a field points into it", () => {
    const { readings, unmapped } = map({ channels: [{ value: 7.5 }, { value: 8 }] }, [
      { path: "channels.1.value", kind: "water.level", unit: "cm" },
    ]);
    expect(readings.map((r) => r.value)).toEqual([8]);
    expect(unmapped).toEqual(["channels.0.value"]);
  });

  it("lists a path that two keys spell alike once", () => {
    expect(map({ "a.b": 1, a: { b: 2 } }, []).unmapped).toEqual(["a.b"]);
  });

  it("refuses a decoded payload nested deeper than any device sends instead of overflowing the stack", () => {
    const deep = JSON.parse(`${'{"a":'.repeat(10_000)}1${"}".repeat(10_000)}`);
    expect(() => map(deep, [])).toThrow(DecodeError);
    expect(() => map(deep, [])).toThrow(/payload nests deeper than 64 levels/);
  });

  it("refuses a decoded payload that is not an object", () => {
    expect(() => map([1, 2], [])).toThrow("decoded_payload is not a JSON object");
  });
});
