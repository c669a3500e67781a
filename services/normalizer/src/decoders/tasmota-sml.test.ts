import type { DeviceType } from "@stadtfluss/registry";
import { describe, expect, it } from "vitest";
import { defaultDecoderContext } from "../normalize.ts";
import { tasmotaSml } from "./tasmota-sml.ts";

const RECEIVED = new Date("2026-01-14T11:00:01.000Z");

/** A Buffer is the payload as it stands (JSON.stringify cannot write some payloads worth testing). */
function decode(payload: unknown, type?: DeviceType, timeZone = "Europe/Berlin") {
  return tasmotaSml.decode(
    {
      key: "zaehler-1",
      value: Buffer.isBuffer(payload) ? payload : Buffer.from(JSON.stringify(payload)),
      source: "test",
      format: "tasmota-sml",
      tenant: "musterstadt",
      mqttTopic: "tele/zaehler-1/SENSOR",
      receivedAt: RECEIVED,
    },
    { ...defaultDecoderContext, timeZone, deviceType: (id) => (id === "zaehler-1" ? type : undefined) },
  );
}

const METER = { Total_in: 12345.678, Total_out: 1.2, Power_curr: 523 };

describe("tasmota-sml decoder", () => {
  it("reads the default names in a meter object of any name, Power_cur included", () => {
    const { readings } = decode({ Time: "2026-01-14T12:00:00", MT681: { Total_in: 1.5, Power_cur: -93 } });
    expect(readings.map((r) => [r.kind, r.value, r.unit])).toEqual([
      ["energy.active_import", 1.5, "kWh"],
      ["energy.active_power", -93, "W"],
    ]);
  });

  it("reads Time without offset in the context's zone", () => {
    expect(decode({ Time: "2026-01-14T12:00:00", SML: METER }).readings[0]?.observedAt.toISOString()).toBe(
      "2026-01-14T11:00:00.000Z",
    );
    expect(
      decode(
        { Time: "2026-01-14T12:00:00", SML: METER },
        undefined,
        "Europe/London",
      ).readings[0]?.observedAt.toISOString(),
    ).toBe("2026-01-14T12:00:00.000Z");
  });

  it("keeps an offset that SetOption52 adds, and reads Epoch when there is no Time", () => {
    expect(decode({ Time: "2026-01-14T12:00:00+01:00", SML: METER }).readings[0]?.observedAt.toISOString()).toBe(
      "2026-01-14T11:00:00.000Z",
    );
    expect(decode({ Epoch: 1_768_388_400, SML: METER }).readings[0]?.observedAt.toISOString()).toBe(
      "2026-01-14T11:00:00.000Z",
    );
  });

  it("takes the receive time while the device's clock is not set yet", () => {
    expect(decode({ Time: "1970-01-01T00:10:00", SML: METER }).readings[0]?.observedAt).toEqual(RECEIVED);
  });

  it("refuses a payload without Time or Epoch", () => {
    expect(() => decode({ SML: METER })).toThrow(/neither Time nor Epoch/);
  });

  it("maps only the device type's fields when it has some", () => {
    const type: DeviceType = {
      id: "two-tariff",
      fields: [{ path: "Haus.Bezug_HT", kind: "energy.active_import_t1", unit: "kWh" }],
    };
    const { readings, unmapped } = decode(
      { Time: "2026-01-14T12:00:00", Haus: { Bezug_HT: 10234, Total_in: 15354 } },
      type,
    );
    expect(readings.map((r) => [r.kind, r.value])).toEqual([["energy.active_import_t1", 10234]]);
    expect(unmapped).toEqual(["Haus.Total_in"]);
  });

  it("refuses a mapped field that is not a number", () => {
    expect(() => decode({ Time: "2026-01-14T12:00:00", SML: { Total_in: "12345.678" } })).toThrow(
      /SML.Total_in is not a number/,
    );
  });

  it("refuses a payload nested deeper than any meter sends instead of overflowing the stack", () => {
    const deepField = `{"Time":"2026-01-14T12:00:00","SML":{"Total_in":${"[".repeat(10_000)}1${"]".repeat(10_000)}}}`;
    expect(() => decode(Buffer.from(deepField))).toThrow("SML.Total_in is not a number: an array");
    const deepMeter = `{"Time":"2026-01-14T12:00:00","SML":${'{"a":'.repeat(10_000)}1${"}".repeat(10_000)}}`;
    expect(() => decode(Buffer.from(deepMeter))).toThrow(/payload nests deeper than 64 levels/);
  });

  it("reads the German meters' common names in any letter case, and OBIS-named fields", () => {
    const { readings } = decode({
      Time: "2026-01-14T12:00:00",
      MT631: { E_in: 7, VOLTAGE_L2: 231, "36_7_0": -120, "14_7_0": 50.01 },
    });
    expect(readings.map((r) => [r.kind, r.value, r.unit])).toEqual([
      ["energy.active_import", 7, "kWh"],
      ["energy.voltage_l2", 231, "V"],
      ["energy.active_power_l1", -120, "W"],
      ["energy.frequency", 50.01, "Hz"],
    ]);
  });

  it("keeps each meter object's serial with that object's readings only", () => {
    const { readings, unmapped } = decode({
      Time: "2026-01-14T12:00:00",
      Haus: { Total_in: 1, Meter_number: "0a01445a470003f9ed1c" },
      WP: { "2_8_0": 2, meter_id: 4711 },
      PV: { "1_8_1": 3, Server_ID: "not an id" },
    });
    expect(readings.map((r) => [r.kind, r.meterSerial])).toEqual([
      ["energy.active_import", "0a01445a470003f9ed1c"],
      ["energy.active_export", "4711"],
      ["energy.active_import_t1", undefined],
    ]);
    expect(unmapped).toEqual(["PV.Server_ID"]);
  });

  it("reads an array of Tasmota's energy monitor as one sensor per channel, and nowhere else", () => {
    const { readings } = decode({ Time: "2026-01-14T12:00:00", ENERGY: { Voltage: [230, 231], Total: 5 } });
    expect(readings.map((r) => [r.kind, r.value, r.sensor])).toEqual([
      ["energy.voltage", 230, "1"],
      ["energy.voltage", 231, "2"],
      ["energy.active_import", 5, undefined],
    ]);
    expect(() => decode({ Time: "2026-01-14T12:00:00", SML: { Voltage_L1: [230, 231] } })).toThrow(
      "SML.Voltage_L1 is not a number: an array",
    );
  });
});
