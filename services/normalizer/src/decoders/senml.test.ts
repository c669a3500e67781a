import { DecodeError } from "@stadtfluss/errors";
import type { DeviceType } from "@stadtfluss/registry";
import { describe, expect, it } from "vitest";
import { defaultDecoderContext } from "../normalize.ts";
import type { RawRecord } from "../raw-record.ts";
import { resolveRecords, senml } from "./senml.ts";

const NOW = new Date("2026-11-25T07:30:00.000Z");
const ABSOLUTE = 1_320_067_464; // 2011-10-31T13:24:24Z, RFC 8428 section 5.1.3

function resolve(pack: unknown) {
  return resolveRecords(pack, NOW);
}

describe("SenML resolution (RFC 8428 sections 4.1 to 4.6)", () => {
  it("concatenates the base name and the name", () => {
    expect(resolve([{ bn: "urn:dev:ow:1:", n: "temp", v: 1 }])[0]?.name).toBe("urn:dev:ow:1:temp");
  });

  it("keeps a base name for the records after it until the next base name", () => {
    const names = resolve([
      { bn: "a/", n: "x", v: 1 },
      { n: "y", v: 2 },
      { bn: "b/", n: "x", v: 3 },
      { n: "y", v: 4 },
    ]).map((r) => r.name);
    expect(names).toEqual(["a/x", "a/y", "b/x", "b/y"]);
  });

  it("uses the base name alone when a record has no name", () => {
    expect(resolve([{ bn: "urn:dev:ow:1", v: 1 }])[0]?.name).toBe("urn:dev:ow:1");
  });

  it("adds the base time to the time", () => {
    const times = resolve([
      { bn: "d:", bt: ABSOLUTE, n: "a", v: 1 },
      { n: "a", t: 60, v: 2 },
    ]).map((r) => r.time.toISOString());
    expect(times).toEqual(["2011-10-31T13:24:24.000Z", "2011-10-31T13:25:24.000Z"]);
  });

  it("reads a time below 2^28 as seconds relative to now, negative ones in the past", () => {
    const times = resolve([
      { bn: "d:", n: "a", v: 1 },
      { n: "a", t: -5, v: 2 },
      { n: "a", t: 0.5, v: 3 },
    ]).map((r) => r.time.toISOString());
    expect(times).toEqual(["2026-11-25T07:30:00.000Z", "2026-11-25T07:29:55.000Z", "2026-11-25T07:30:00.500Z"]);
  });

  it("reads a time of 2^28 or more as seconds since the Unix epoch, one second less as relative", () => {
    expect(resolve([{ n: "d", t: 2 ** 28, v: 1 }])[0]?.time.toISOString()).toBe("1978-07-04T21:24:16.000Z");
    // 2^28 - 1 seconds after now, about eight and a half years ahead.
    expect(resolve([{ n: "d", t: 2 ** 28 - 1, v: 1 }])[0]?.time.toISOString()).toBe("2035-05-29T04:54:15.000Z");
  });

  it("refuses a time beyond the range of dates (nanoseconds taken for seconds)", () => {
    expect(() => resolve([{ bn: "d:", bt: 1.7955918e18, n: "a", v: 1 }])).toThrow(
      new DecodeError("SenML record 1: time 1795591800000000000 s is out of range"),
    );
  });

  it("keeps milliseconds of a fractional base time exact", () => {
    const [record] = resolve([{ bn: "d:", bt: 1.276020076001e9, n: "a", t: -5, v: 1 }]);
    expect(record?.time.toISOString()).toBe("2010-06-08T18:01:11.001Z");
  });

  it("applies the base unit where a record has no unit, and a record's own unit over it", () => {
    const units = resolve([
      { bn: "d:", bu: "A", n: "voltage", u: "V", v: 230 },
      { n: "current", v: 1.2 },
    ]).map((r) => r.unit);
    expect(units).toEqual(["V", "A"]);
  });

  it("adds the base value to the value", () => {
    const values = resolve([
      { bn: "d:", bv: 1000, n: "a", v: 0.5 },
      { n: "a", v: -1 },
    ]).map((r) => r.value);
    expect(values).toEqual([
      { type: "number", value: 1000.5 },
      { type: "number", value: 999 },
    ]);
  });

  it("adds the base sum to the sum, and counts a missing sum as zero once a base sum is set", () => {
    const sums = resolve([
      { bn: "d:", bs: 100, n: "a", s: 5 },
      { n: "a", v: 1 },
      { bn: "e:", n: "a", s: 7 },
    ]).map((r) => r.sum);
    expect(sums).toEqual([105, 100, 107]);
  });

  it("gives no sum where neither base sum nor sum is present", () => {
    expect(resolve([{ n: "d", v: 1 }])[0]?.sum).toBeUndefined();
  });

  it("keeps string, boolean and data values with their type", () => {
    const values = resolve([
      { bn: "d:", n: "label", vs: "Machine Room" },
      { n: "open", vb: false },
      { n: "nfv-reader", vd: "aGkgCg" },
    ]).map((r) => r.value);
    expect(values).toEqual([
      { type: "string", value: "Machine Room" },
      { type: "boolean", value: false },
      { type: "data", value: "aGkgCg" },
    ]);
  });

  it("yields nothing for a record that only sets base fields", () => {
    const names = resolve([{ bn: "d:" }, { n: "temp", u: "Cel", v: 23.1 }]).map((r) => r.name);
    expect(names).toEqual(["d:temp"]);
  });

  it("accepts version 10 and older, and the same version repeated", () => {
    expect(resolve([{ bver: 5, n: "d", v: 1 }])).toHaveLength(1);
    expect(
      resolve([
        { bver: 10, n: "d", v: 1 },
        { bver: 10, n: "e", v: 2 },
      ]),
    ).toHaveLength(2);
  });

  it("refuses a version newer than 10", () => {
    expect(() => resolve([{ bver: 11, n: "d", v: 1 }])).toThrow(/version 11 is newer than 10/);
  });

  it("refuses a pack whose records have different versions", () => {
    expect(() =>
      resolve([
        { bver: 5, n: "d", v: 1 },
        { bver: 6, n: "e", v: 2 },
      ]),
    ).toThrow(/version 6 differs from 5/);
  });

  it("refuses a record with a must-understand label (ending in _)", () => {
    expect(() => resolve([{ n: "d", v: 1, foo_: 1 }])).toThrow(/must-understand field "foo_"/);
  });

  it("ignores unknown labels without a trailing _", () => {
    expect(resolve([{ n: "d", v: 1, l: "[]" }])).toHaveLength(1);
  });

  it("refuses a record with two values", () => {
    expect(() => resolve([{ n: "d", v: 1, vs: "one" }])).toThrow(/more than one value \(v, vs\)/);
  });

  it("refuses a record without any name and a name with forbidden characters", () => {
    expect(() => resolve([{ v: 1 }])).toThrow(/record 1 has no name/);
    expect(() => resolve([{ n: "room 1", v: 1 }])).toThrow(/characters SenML forbids/);
  });

  it("refuses a field of the wrong JSON type, naming the record", () => {
    expect(() =>
      resolve([
        { n: "d", v: 1 },
        { n: "d", v: "1" },
      ]),
    ).toThrow(/SenML record 2: v:/);
  });

  it("refuses anything but an array, and says so for the draft's {e: [...]} wrapper", () => {
    expect(() => resolve({ e: [{ n: "d", v: 1 }] })).toThrow(/pre-RFC draft format/);
    expect(() => resolve("[]")).toThrow(DecodeError);
    expect(() => resolve([])).toThrow(/holds no records/);
  });
});

function record(pack: unknown, key: string | undefined = "gateway-1"): RawRecord {
  return {
    key,
    value: Buffer.from(JSON.stringify(pack)),
    source: "test",
    format: "senml",
    tenant: "musterstadt",
    mqttTopic: "senml/up",
    receivedAt: NOW,
  };
}

function decode(pack: unknown, types: Record<string, DeviceType> = {}) {
  return senml.decode(record(pack), { ...defaultDecoderContext, deviceType: (id) => types[id] });
}

describe("senml decoder", () => {
  it("takes the device id from the base name without its trailing separator", () => {
    const { readings } = decode([{ bn: "urn:dev:ow:10e2073a01080063:", n: "temperature", u: "Cel", v: 23.1 }]);
    expect(readings).toEqual([
      { deviceId: "urn:dev:ow:10e2073a01080063", kind: "air.temperature", value: 23.1, unit: "Cel", observedAt: NOW },
    ]);
  });

  it("leaves the device id to the record key when there is no base name", () => {
    const { readings } = decode([{ n: "humidity", u: "%RH", v: 40 }]);
    expect(readings[0]?.deviceId).toBeUndefined();
    expect(readings[0]?.kind).toBe("air.humidity");
  });

  it("maps units whose name says the quantity, and leaves bare power, voltage and volume unmapped", () => {
    const { readings, unmapped } = decode([
      { bn: "urn:dev:x:", n: "pm2.5", u: "ug/m3", v: 12 },
      { n: "co2", u: "ppm", v: 415 },
      { n: "pressure", u: "Pa", v: 101325 },
      { n: "power", u: "W", v: 120 },
      { n: "u", u: "V", v: 230 },
      { n: "volume", u: "m3", v: 3 },
      { n: "water-temperature", u: "Cel", v: 12 },
    ]);
    expect(readings.map((r) => r.kind)).toEqual(["air.pm2_5", "air.co2", "air.pressure"]);
    expect(unmapped).toEqual([
      "urn:dev:x:power [W]",
      "urn:dev:x:u [V]",
      "urn:dev:x:volume [m3]",
      "urn:dev:x:water-temperature [Cel]",
    ]);
  });

  it("maps a voltage, current, frequency and power factor named so, without a phase unless the name has one", () => {
    const { readings, unmapped } = decode([
      { bn: "urn:dev:meter:", n: "voltage", u: "V", v: 229.8 },
      { n: "current", u: "mA", v: 1234 },
      { n: "frequency", u: "Hz", v: 49.98 },
      { n: "power_factor", u: "/", v: 0.97 },
      { n: "voltage_l2", u: "V", v: 231.1 },
      { n: "battery", u: "V", v: 3.1 },
      { n: "current", u: "V", v: 1 },
    ]);
    expect(readings.map((r) => [r.kind, r.value, r.unit])).toEqual([
      ["energy.voltage", 229.8, "V"],
      ["energy.current", 1234, "mA"],
      ["energy.frequency", 49.98, "Hz"],
      ["energy.power_factor", 0.97, "/"],
      ["energy.voltage_l2", 231.1, "V"],
      ["device.battery_voltage", 3.1, "V"],
    ]);
    expect(unmapped).toEqual(["urn:dev:meter:current [V]"]);
  });

  it("takes a short number before the quantity's name as the sensor index, and nothing else", () => {
    const { readings } = decode([
      { bn: "urn:dev:x:", n: "0/temperature", u: "Cel", v: 21 },
      { n: "12:temperature", u: "Cel", v: 22 },
      { n: "indoor/temperature", u: "Cel", v: 23 },
      { n: "1234/temperature", u: "Cel", v: 24 },
      { n: "temperature", u: "Cel", v: 25 },
    ]);
    expect(readings.map((r) => [r.value, r.sensor, r.channel])).toEqual([
      [21, "0", undefined],
      [22, "12", undefined],
      [23, undefined, undefined],
      [24, undefined, undefined],
      [25, undefined, undefined],
    ]);
  });

  it("lists string and data values and sums as unmapped instead of failing", () => {
    const { readings, unmapped } = decode([
      { bn: "urn:dev:x:", n: "temp", u: "Cel", v: 23.1 },
      { n: "label", vs: "Machine Room" },
      { n: "nfv-reader", vd: "aGkgCg" },
      { n: "energy", u: "W", s: 3600 },
    ]);
    expect(readings).toHaveLength(1);
    expect(unmapped).toEqual(["urn:dev:x:label", "urn:dev:x:nfv-reader", "urn:dev:x:energy (sum)"]);
  });

  it("uses only the device type's fields when it has some: path is the name without the base name", () => {
    const type: DeviceType = {
      id: "meter",
      fields: [
        { path: "power", kind: "energy.active_power", unit: "W" },
        { path: "occupied", kind: "parking.occupied", unit: "1" },
        { path: "raw", kind: "water.level", unit: "mm", scale: 10 },
      ],
    };
    const { readings, unmapped } = decode(
      [
        { bn: "urn:dev:x:", n: "power", u: "W", v: 120 },
        { n: "occupied", vb: true },
        { n: "raw", v: 7 },
        { n: "humidity", u: "%RH", v: 40 },
      ],
      { "urn:dev:x": type },
    );
    expect(readings.map((r) => [r.kind, r.value, r.unit])).toEqual([
      ["energy.active_power", 120, "W"],
      ["parking.occupied", 1, "1"],
      ["water.level", 70, "mm"],
    ]);
    expect(unmapped).toEqual(["urn:dev:x:humidity [%RH]"]);
  });

  it("does not apply a field to a record that states another unit", () => {
    const type: DeviceType = { id: "t", fields: [{ path: "", kind: "air.humidity", unit: "%RH" }] };
    const { readings, unmapped } = decode(
      [
        { bn: "urn:dev:x", u: "%RH", v: 20 },
        { u: "lon", v: 24.30621 },
      ],
      { "urn:dev:x": type },
    );
    expect(readings.map((r) => r.value)).toEqual([20]);
    expect(unmapped).toEqual(["urn:dev:x [lon]"]);
  });

  it("leaves a boolean unmapped without a field that says what it means", () => {
    const { readings, unmapped } = decode([
      { bn: "urn:dev:x:", n: "temp", u: "Cel", v: 20 },
      { n: "open", vb: false },
    ]);
    expect(readings).toHaveLength(1);
    expect(unmapped).toEqual(["urn:dev:x:open"]);
  });
});
