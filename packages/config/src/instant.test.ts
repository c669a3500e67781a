import { describe, expect, it } from "vitest";
import { parseInstant } from "./instant.ts";

const now = new Date("2026-11-25T12:00:00Z");

describe("parseInstant", () => {
  it.each([
    ["90m", "2026-11-25T10:30:00.000Z"],
    ["36h", "2026-11-24T00:00:00.000Z"],
    ["7d", "2026-11-18T12:00:00.000Z"],
    ["1h30m", "2026-11-25T10:30:00.000Z"],
  ])("reads %s as that long before now", (text, iso) => {
    expect(parseInstant(text, now).toISOString()).toBe(iso);
  });

  it.each([
    ["2026-11-25T00:00:00Z", "2026-11-25T00:00:00.000Z"],
    ["2026-11-25T01:00:00+01:00", "2026-11-25T00:00:00.000Z"],
    ["2026-11-25T01:00:00.5+0100", "2026-11-25T00:00:00.500Z"],
  ])("reads ISO 8601 with an offset: %s", (text, iso) => {
    expect(parseInstant(text, now).toISOString()).toBe(iso);
  });

  it.each(["2026-11-25T00:00:00", "2026-11-25", "yesterday", "24", ""])("refuses %j, naming it", (text) => {
    expect(() => parseInstant(text, now)).toThrow(`"${text}" is neither ISO 8601 with an offset nor a duration`);
  });
});
