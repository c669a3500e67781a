import { describe, expect, it } from "vitest";
import { calendarResolution, fixedResolution, windowsBetween } from "./resolution.ts";

const hour = 3_600_000;

describe("aggregation windows", () => {
  it("starts days at the city's midnight, with 23 and 25 hours on the days the clocks change", () => {
    const day = calendarResolution("day", "Europe/Berlin");
    // The last Sunday of March and of October 2026.
    const springStart = day.windowStart(Date.parse("2026-03-29T12:00:00Z"));
    expect(new Date(springStart).toISOString()).toBe("2026-03-28T23:00:00.000Z");
    expect(day.nextWindow(springStart) - springStart).toBe(23 * hour);
    const autumnStart = day.windowStart(Date.parse("2026-10-25T12:00:00Z"));
    expect(new Date(autumnStart).toISOString()).toBe("2026-10-24T22:00:00.000Z");
    expect(day.nextWindow(autumnStart) - autumnStart).toBe(25 * hour);
  });

  it("counts hours through a change of the clocks without a gap or a repeat", () => {
    const resolution = calendarResolution("hour", "Europe/Berlin");
    const from = Date.parse("2026-10-24T22:00:00Z");
    const windows = windowsBetween(resolution, from, from + 25 * hour);
    expect(windows).toHaveLength(25);
    expect(windows.every((start, i) => start === from + i * hour)).toBe(true);
  });

  it("aligns a short window to the epoch and names it by its length", () => {
    const short = fixedResolution(60_000);
    expect(short.tag).toBe("1m");
    expect(short.interval).toBe("60s");
    expect(short.windowStart(90_500)).toBe(60_000);
    expect(fixedResolution(90_000).tag).toBe("90s");
    expect(() => fixedResolution(1_500)).toThrow(RangeError);
  });
});
