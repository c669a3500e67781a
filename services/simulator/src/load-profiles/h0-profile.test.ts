import { describe, expect, it } from "vitest";
import { dynamisation, h0Energy, h0Power, season } from "./h0-profile.ts";
import { H0_TABLE } from "./h0-table.ts";

/** Local midnight in Berlin of a calendar day, as UTC instant. */
function berlinMidnight(year: number, month: number, day: number): Date {
  const guess = Date.UTC(year, month - 1, day);
  const offsetHours = new Date(guess).toLocaleString("en-GB", {
    timeZone: "Europe/Berlin",
    hour: "2-digit",
    hourCycle: "h23",
  });
  return new Date(guess - Number(offsetHours) * 3_600_000);
}

function maxPower(from: Date, hours: number): number {
  let max = 0;
  for (let t = from.getTime(); t < from.getTime() + hours * 3_600_000; t += 15 * 60_000)
    max = Math.max(max, h0Power(new Date(t)));
  return max;
}

describe("the BDEW H0 profile", () => {
  it("holds 96 quarter-hour values for each of the nine season and day-type pairs", () => {
    for (const days of Object.values(H0_TABLE))
      for (const values of Object.values(days)) expect(values).toHaveLength(96);
  });

  it("adds up, day by day over a whole year, to the annual consumption within 1 %", () => {
    for (const year of [2025, 2026, 2027]) {
      let kWh = 0;
      for (let day = 0; day < 365; day++) {
        const from = berlinMidnight(year, 1, 1 + day);
        const to = berlinMidnight(year, 1, 2 + day);
        kWh += h0Energy(from, to, 3_500) / 1000;
      }
      expect(Math.abs(kWh - 3_500) / 3_500, String(year)).toBeLessThan(0.01);
    }
  });

  it("peaks higher on a winter workday evening than on a summer one", () => {
    const winter = maxPower(new Date("2026-01-14T16:00:00Z"), 6);
    const summer = maxPower(new Date("2026-07-15T15:00:00Z"), 6);
    expect(winter).toBeGreaterThan(summer * 1.3);
  });

  it("uses the published table value times the dynamisation factor, rounded to 0.1 W", () => {
    // Wednesday 7 January 2026, 00:05 in Berlin: winter workday, first quarter hour, day 7.
    expect(h0Power(new Date("2026-01-06T23:05:00Z"))).toBeCloseTo(Math.round(67.6 * dynamisation(7) * 10) / 10, 6);
  });

  it("treats public holidays as Sundays and Christmas Eve as a Saturday", () => {
    // Friday 25 December 2026, 12:00 local (winter): the Sunday curve's value at quarter 48.
    const noon = 48;
    const dec25 = h0Power(new Date("2026-12-25T11:00:00Z"));
    expect(dec25).toBeCloseTo(Math.round((H0_TABLE.winter.sunday[noon] ?? 0) * dynamisation(359) * 10) / 10, 6);
    // Thursday 24 December 2026.
    const dec24 = h0Power(new Date("2026-12-24T11:00:00Z"));
    expect(dec24).toBeCloseTo(Math.round((H0_TABLE.winter.saturday[noon] ?? 0) * dynamisation(358) * 10) / 10, 6);
  });

  it("follows the BDEW season boundaries", () => {
    expect(season(3, 20)).toBe("winter");
    expect(season(3, 21)).toBe("transition");
    expect(season(5, 15)).toBe("summer");
    expect(season(9, 15)).toBe("transition");
    expect(season(11, 1)).toBe("winter");
  });

  it("smooths the seasons: the dynamisation factor is high in winter and low in summer", () => {
    expect(dynamisation(1)).toBeCloseTo(1.2421, 3);
    expect(dynamisation(182)).toBeLessThan(0.9);
    expect(dynamisation(365)).toBeGreaterThan(1.2);
  });
});
