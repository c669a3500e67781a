import { describe, expect, it } from "vitest";
import { dayOfYear, localTime } from "./local-time.ts";

describe("localTime", () => {
  it("reads Berlin's wall clock in winter and in summer", () => {
    expect(localTime(new Date("2026-01-14T07:31:05Z"))).toMatchObject({
      year: 2026,
      month: 1,
      day: 14,
      hour: 8,
      minute: 31,
      second: 5,
      weekday: 3,
      offsetMinutes: 60,
      summerTime: false,
    });
    expect(localTime(new Date("2026-07-01T22:30:00Z"))).toMatchObject({
      day: 2,
      hour: 0,
      minute: 30,
      summerTime: true,
    });
  });

  it("switches exactly at 01:00 UTC on the last Sundays of March and October", () => {
    expect(localTime(new Date("2026-03-29T00:59:59Z"))).toMatchObject({ hour: 1, summerTime: false });
    expect(localTime(new Date("2026-03-29T01:00:00Z"))).toMatchObject({ hour: 3, summerTime: true });
    expect(localTime(new Date("2026-10-25T00:59:59Z"))).toMatchObject({ hour: 2, minute: 59, summerTime: true });
    expect(localTime(new Date("2026-10-25T01:00:00Z"))).toMatchObject({ hour: 2, minute: 0, summerTime: false });
  });

  it("agrees with Intl for other zones too", () => {
    const at = new Date("2026-04-05T15:45:00Z");
    expect(localTime(at, "America/New_York")).toMatchObject({ hour: 11, minute: 45, offsetMinutes: -240, weekday: 7 });
    expect(localTime(at, "Asia/Kathmandu")).toMatchObject({ hour: 21, minute: 30, offsetMinutes: 345 });
  });
});

describe("dayOfYear", () => {
  it("counts 1 January as day 1 and 31 December of a leap year as day 366", () => {
    expect(dayOfYear({ year: 2026, month: 1, day: 1 })).toBe(1);
    expect(dayOfYear({ year: 2028, month: 12, day: 31 })).toBe(366);
  });
});
