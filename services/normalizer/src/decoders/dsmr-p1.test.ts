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
});
