import { describe, expect, it } from "vitest";
import { tasmotaSml } from "./tasmota-sml.ts";

describe("tasmotaSml", () => {
  it("prints Berlin local time without an offset and each value with Tasmota's decimals", () => {
    const json = tasmotaSml({
      time: new Date("2026-01-14T07:31:00.250Z"),
      totalIn: 3878.8224,
      totalOut: 0,
      powerCurrent: 289.6,
    });
    expect(json).toBe(
      '{"Time":"2026-01-14T08:31:00","SML":{"Total_in":3878.8224,"Total_out":0.0000,"Power_curr":290}}',
    );
  });

  it("follows summer time and stays valid JSON", () => {
    const json = tasmotaSml({ time: new Date("2026-07-01T10:00:00Z"), totalIn: 1.5, totalOut: 2, powerCurrent: 0 });
    expect(JSON.parse(json)).toEqual({
      Time: "2026-07-01T12:00:00",
      SML: { Total_in: 1.5, Total_out: 2, Power_curr: 0 },
    });
  });
});
