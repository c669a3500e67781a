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

  it("adds the server id, the phases and the frequency under the names of Tasmota's meter scripts", () => {
    const json = tasmotaSml({
      time: new Date("2026-01-14T07:31:00.250Z"),
      totalIn: 3878.8224,
      totalOut: 0,
      powerCurrent: 289.6,
      meterId: "0a01454d480000100000",
      phases: [
        { voltage: 229.24, current: 0.7, power: 160.4 },
        { voltage: 230, current: 0.35, power: 80 },
        { voltage: 231.06, current: 0.2, power: 49.2 },
      ],
      frequency: 49.987,
    });
    expect(json).toBe(
      '{"Time":"2026-01-14T08:31:00","SML":{"Total_in":3878.8224,"Total_out":0.0000,"Power_curr":290,' +
        '"Meter_id":"0a01454d480000100000","Voltage_L1":229.2,"Current_L1":0.70,"Power_L1":160,' +
        '"Voltage_L2":230.0,"Current_L2":0.35,"Power_L2":80,"Voltage_L3":231.1,"Current_L3":0.20,"Power_L3":49,' +
        '"Frequency":49.99}}',
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
