import { describe, expect, it } from "vitest";
import { householdConsumption } from "./energy-consumption.ts";
import { fixedResolution } from "./resolution.ts";

const minute = fixedResolution(60_000);
const row = (device: string, district: string, window: number, register: number) => ({
  time: window * 60_000,
  device,
  district,
  register,
});

describe("household consumption from meter totals", () => {
  it("is the difference of the last readings of a window and the one before, never a sum of readings", () => {
    const rows = [row("m1", "nord", 0, 100), row("m1", "nord", 1, 103), row("m1", "nord", 2, 110)];
    const consumption = householdConsumption(rows, minute, 60_000);
    expect([...consumption].map(([window, districts]) => [window, Object.fromEntries(districts)])).toEqual([
      [60_000, { nord: [3] }],
      [120_000, { nord: [7] }],
    ]);
  });

  it("counts nothing for a household across a gap, after its register went down, or without a district", () => {
    const rows = [
      row("gap", "nord", 0, 100),
      row("gap", "nord", 2, 120),
      row("swapped", "nord", 0, 5_000),
      row("swapped", "nord", 1, 3),
      { time: 0, device: "nowhere", register: 1 },
      { time: 60_000, device: "nowhere", register: 2 },
    ];
    expect(householdConsumption(rows, minute, 0).size).toBe(0);
  });
});
