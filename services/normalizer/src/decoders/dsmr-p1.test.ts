import { describe, expect, it } from "vitest";
import { defaultDecoderContext } from "../normalize.ts";
import { crc16Arc } from "./crc16.ts";
import { dsmrP1 } from "./dsmr-p1.ts";

function telegram(...lines: string[]): Buffer {
  const body = `/TST5\\2TEST\r\n\r\n${lines.map((l) => `${l}\r\n`).join("")}!`;
  const crc = crc16Arc(Buffer.from(body, "latin1")).toString(16).toUpperCase().padStart(4, "0");
  return Buffer.from(`${body}${crc}\r\n`, "latin1");
}

function decode(value: Buffer, key: string | null = "p1-test") {
  return dsmrP1.decode(
    {
      key: key ?? undefined,
      value,
      source: "test",
      format: "dsmr-p1",
      tenant: "musterstadt",
      mqttTopic: "p1/telegram",
      receivedAt: new Date("2026-11-25T07:30:00.000Z"),
    },
    defaultDecoderContext,
  );
}

const CLOCK = "0-0:1.0.0(261125083000W)";

describe("dsmr-p1 decoder", () => {
  it("reports each phase's power as import minus export", () => {
    const { readings } = decode(
      telegram(
        CLOCK,
        "1-0:21.7.0(00.217*kW)",
        "1-0:22.7.0(00.227*kW)",
        "1-0:41.7.0(00.417*kW)",
        "1-0:42.7.0(00.000*kW)",
      ),
    );
    expect(readings.map((r) => [r.kind, r.value, r.unit])).toEqual([
      ["energy.active_power_l1", -0.01, "kW"],
      ["energy.active_power_l2", 0.417, "kW"],
    ]);
  });

  it("counts a side the meter does not send as zero", () => {
    const { readings } = decode(telegram(CLOCK, "1-0:2.7.0(01.500*kW)"));
    expect(readings.map((r) => [r.kind, r.value])).toEqual([["energy.active_power", -1.5]]);
  });

  it("adds tariff registers of different units in the kind's unit", () => {
    const { readings } = decode(telegram(CLOCK, "1-0:1.8.1(001234*Wh)", "1-0:1.8.2(000002.000*kWh)"));
    expect(readings[0]).toMatchObject({ kind: "energy.active_import", value: 3.234, unit: "kW.h" });
  });

  it("adds registers with more decimals than a double holds at a double's resolution", () => {
    const { readings } = decode(
      telegram(CLOCK, `1-0:1.8.1(000004.${"7".repeat(101)}*kWh)`, "1-0:1.8.2(000002.399*kWh)"),
    );
    expect(readings[0]).toMatchObject({ kind: "energy.active_import", value: 7.176777777777778, unit: "kWh" });
  });

  it("prefers the meter's own total to the sum of its tariffs", () => {
    const { readings } = decode(telegram(CLOCK, "1-0:1.8.0(000010.000*kWh)", "1-0:1.8.1(000004.000*kWh)"));
    expect(readings.filter((r) => r.kind === "energy.active_import").map((r) => r.value)).toEqual([10]);
  });

  it("refuses a mapped register without a unit", () => {
    expect(() => decode(telegram(CLOCK, "1-0:1.8.1(000004.426)"))).toThrow(/1-0:1.8.1 is not a number with a unit/);
  });

  it("leaves an M-Bus device type without a kind unmapped (heat, 004)", () => {
    const { readings, unmapped } = decode(
      telegram(CLOCK, "1-0:1.7.0(00.100*kW)", "0-1:24.1.0(004)", "0-1:24.2.1(261125083000W)(240.860*GJ)"),
    );
    expect(readings.map((r) => r.kind)).toEqual(["energy.active_power"]);
    expect(unmapped).toEqual(["0-1:24.1.0", "0-1:24.2.1"]);
  });

  it("falls back to the raw equipment id when it is not readable text and there is no key", () => {
    const { readings } = decode(
      telegram(CLOCK, "0-0:96.1.1(3960221976967177082151037881335713)", "1-0:1.7.0(00.100*kW)"),
      null,
    );
    expect(readings[0]?.deviceId).toBe("3960221976967177082151037881335713");
  });

  it("keeps the equipment id as the meter serial of readings whose device id is the topic's", () => {
    const serial = "0-0:96.1.1(4B384547303034303436333935353037)";
    const withKey = decode(telegram(CLOCK, serial, "1-0:1.7.0(00.100*kW)"));
    expect(withKey.readings[0]).toMatchObject({ meterSerial: "K8EG004046395507" });
    expect(withKey.readings[0]?.deviceId).toBeUndefined();
    const withoutKey = decode(telegram(CLOCK, serial, "1-0:1.7.0(00.100*kW)"), null);
    expect(withoutKey.readings[0]).toMatchObject({ deviceId: "K8EG004046395507" });
    expect(withoutKey.readings[0]?.meterSerial).toBeUndefined();
  });

  it("keeps a gas meter's own equipment id as its readings' serial, with or without a key", () => {
    const gas = [
      "0-0:96.1.1(4B384547303034303436333935353037)",
      "0-1:24.1.0(003)",
      "0-1:96.1.0(3232323241424344313233343536373839)",
      "0-1:24.2.1(261125080000W)(00012.345*m3)",
    ];
    for (const key of ["p1-test", null]) {
      const { readings, unmapped } = decode(telegram(CLOCK, ...gas), key);
      expect(readings.map((r) => [r.kind, r.meterSerial])).toEqual([["gas.volume", "2222ABCD123456789"]]);
      expect(unmapped).toEqual([]);
    }
  });

  it("leaves an equipment id that is no identifier out, and unmapped, rather than failing the telegram", () => {
    const { readings, unmapped } = decode(telegram(CLOCK, "0-0:96.1.1(K8 EG)", "1-0:1.7.0(00.100*kW)"));
    expect(readings[0]?.meterSerial).toBeUndefined();
    expect(unmapped).toEqual(["0-0:96.1.1"]);
  });

  it("reads the power-quality counters, which carry no unit, as counts", () => {
    const { readings } = decode(telegram(CLOCK, "0-0:96.7.21(00013)", "1-0:72.36.0(00002)"));
    expect(readings.map((r) => [r.kind, r.value, r.unit])).toEqual([
      ["energy.power_failures", 13, "{failure}"],
      ["energy.voltage_swells_l3", 2, "{swell}"],
    ]);
    expect(() => decode(telegram(CLOCK, "1-0:32.32.0(00002*V)"))).toThrow(/1-0:32.32.0 is not a count/);
  });

  it("reads the failure log as its entries and the duration of the failure that ended last", () => {
    const log = "1-0:99.97.0(2)(0-0:96.7.19)(251101120000W)(0000000060*s)(251124080000W)(0000000300*s)";
    expect(decode(telegram(CLOCK, log)).readings.map((r) => [r.kind, r.value, r.unit])).toEqual([
      ["energy.power_failure_log_entries", 2, "{failure}"],
      ["energy.last_power_failure_duration", 300, "s"],
    ]);
    const empty = decode(telegram(CLOCK, "1-0:99.97.0(0)(0-0:96.7.19)"));
    expect(empty.readings.map((r) => [r.kind, r.value])).toEqual([["energy.power_failure_log_entries", 0]]);
  });

  it("leaves a failure log that does not read as one unmapped, keeping the other readings", () => {
    for (const log of [
      "1-0:99.97.0()",
      "1-0:99.97.0(2)(0-0:96.7.19)(251101120000W)(0000000060*s)",
      "1-0:99.97.0(1)(0-0:96.7.19)(251131120000W)(0000000060*s)",
    ]) {
      const { readings, unmapped } = decode(telegram(CLOCK, log, "1-0:1.7.0(00.100*kW)"));
      expect(
        readings.map((r) => r.kind),
        log,
      ).toEqual(["energy.active_power"]);
      expect(unmapped, log).toEqual(["1-0:99.97.0"]);
    }
  });
});
