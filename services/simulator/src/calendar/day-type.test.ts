import { describe, expect, it } from "vitest";
import { dayType } from "./day-type.ts";
import { easterSunday, isPublicHoliday } from "./public-holidays.ts";

const day = (year: number, month: number, d: number) => ({
  year,
  month,
  day: d,
  weekday: new Date(Date.UTC(year, month - 1, d)).getUTCDay() || 7,
});

describe("Saxony's public holidays", () => {
  it("finds Easter Sunday", () => {
    expect(new Date(easterSunday(2026)).toISOString().slice(0, 10)).toBe("2026-04-05");
    expect(new Date(easterSunday(2027)).toISOString().slice(0, 10)).toBe("2027-03-28");
  });

  it("includes the movable feasts, Reformationstag and Buß- und Bettag", () => {
    expect(isPublicHoliday(2026, 4, 3)).toBe(true); // Karfreitag
    expect(isPublicHoliday(2026, 5, 14)).toBe(true); // Christi Himmelfahrt
    expect(isPublicHoliday(2026, 5, 25)).toBe(true); // Pfingstmontag
    expect(isPublicHoliday(2026, 10, 31)).toBe(true);
    expect(isPublicHoliday(2026, 11, 18)).toBe(true); // Wednesday before 23 November
    expect(isPublicHoliday(2026, 11, 19)).toBe(false);
  });
});

describe("dayType", () => {
  it("tells workdays, Saturdays and Sundays apart", () => {
    expect(dayType(day(2026, 1, 14))).toBe("workday");
    expect(dayType(day(2026, 1, 17))).toBe("saturday");
    expect(dayType(day(2026, 1, 18))).toBe("sunday");
  });

  it("counts holidays as Sundays and 24 and 31 December as Saturdays", () => {
    expect(dayType(day(2026, 12, 25))).toBe("sunday");
    expect(dayType(day(2026, 12, 24))).toBe("saturday");
    expect(dayType(day(2026, 12, 31))).toBe("saturday");
    // 24 December 2028 is a Sunday and stays one.
    expect(dayType(day(2028, 12, 24))).toBe("sunday");
  });
});
