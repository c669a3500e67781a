import { describe, expect, it } from "vitest";
import { formatDuration, parseDuration } from "./duration.ts";

describe("parseDuration", () => {
  it.each([
    ["5m", 300_000],
    ["7d", 604_800_000],
    ["36h", 129_600_000],
    ["1h30m", 5_400_000],
    ["1h 30m", 5_400_000],
    ["250ms", 250],
    ["2w", 1_209_600_000],
  ])("reads %s", (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(["5", "", "m", "5 minutes", "-5m", "1.5h", "5M"])("refuses %j", (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });
});

describe("formatDuration", () => {
  it("says the largest whole unit", () => {
    expect(formatDuration(3 * 86_400_000 + 5_000)).toBe("3 days");
    expect(formatDuration(3_600_000)).toBe("1 hour");
    expect(formatDuration(90_000)).toBe("1 minute");
    expect(formatDuration(999)).toBe("999 ms");
  });
});
