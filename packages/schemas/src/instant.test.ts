import fc from "fast-check";
import { describe, expect, it, vi } from "vitest";
import { instantMs, isIsoInstant, isoInstant } from "./instant.ts";

const pad = (value: number, width: number) => String(value).padStart(width, "0");

describe("instantMs", () => {
  it("reads any instant as Date's parser does, written by toISOString or not", () => {
    // Digits in and beyond their ranges, so that both paths and their border are taken.
    const written = fc
      .tuple(
        fc.integer({ min: 0, max: 9999 }),
        fc.integer({ min: 0, max: 13 }),
        fc.integer({ min: 0, max: 32 }),
        fc.integer({ min: 0, max: 25 }),
        fc.integer({ min: 0, max: 60 }),
        fc.integer({ min: 0, max: 60 }),
        fc.integer({ min: 0, max: 999 }),
      )
      .map(
        ([y, mo, d, h, mi, s, ms]) =>
          `${pad(y, 4)}-${pad(mo, 2)}-${pad(d, 2)}T${pad(h, 2)}:${pad(mi, 2)}:${pad(s, 2)}.${pad(ms, 3)}Z`,
      );
    const other = fc.oneof(
      fc.date({ noInvalidDate: true }).map((date) => date.toISOString()),
      fc.constantFrom("2026-12-07T04:00:00.000+01:00", "2026-12-07T03:00:00Z", "2026-12-07", "", "not a time"),
      fc.string(),
    );
    fc.assert(
      fc.property(fc.oneof(written, other), (text) => {
        expect(Object.is(instantMs(text), new Date(text).getTime())).toBe(true);
      }),
      { numRuns: 20_000 },
    );
  });

  it("reads a day at the turn of a leap year", () => {
    expect(instantMs("2028-02-28T23:59:59.999Z")).toBe(Date.UTC(2028, 1, 28, 23, 59, 59, 999));
    expect(instantMs("2028-02-29T00:00:00.000Z")).toBe(Date.UTC(2028, 1, 29));
  });
});

describe("isIsoInstant", () => {
  it("refuses the empty string before any instant passed, when nothing is remembered yet", async () => {
    vi.resetModules();
    const fresh = await import("./instant.ts");
    expect(fresh.isIsoInstant("")).toBe(false);
    expect(fresh.isIsoInstant("2026-12-07T04:00:00.000Z")).toBe(true);
    expect(fresh.isIsoInstant("")).toBe(false);
  });

  const written = (n: number, width: number) => String(n).padStart(width, "0");
  // Every field a little beyond its range, and the ends of February in leap and common years.
  const near = fc.record({
    year: fc.oneof(fc.integer({ min: 0, max: 9999 }), fc.constantFrom(0, 1900, 2000, 2024, 2100, 2400)),
    month: fc.oneof(fc.integer({ min: 0, max: 13 }), fc.constant(2)),
    day: fc.oneof(fc.integer({ min: 0, max: 32 }), fc.integer({ min: 27, max: 31 })),
    hour: fc.integer({ min: 0, max: 25 }),
    minute: fc.integer({ min: 0, max: 61 }),
    second: fc.integer({ min: 0, max: 61 }),
    millis: fc.integer({ min: 0, max: 999 }),
  });

  it("says of a time of day what a round trip through Date says", () => {
    let real = 0;
    fc.assert(
      fc.property(near, ({ year, month, day, hour, minute, second, millis }) => {
        const text = `${written(year, 4)}-${written(month, 2)}-${written(day, 2)}T${written(hour, 2)}:${written(minute, 2)}:${written(second, 2)}.${written(millis, 3)}Z`;
        const date = new Date(text);
        const roundTrip = !Number.isNaN(date.getTime()) && date.toISOString() === text;
        if (roundTrip) real++;
        expect(isIsoInstant(text)).toBe(roundTrip);
      }),
      { numRuns: 20_000 },
    );
    expect(real).toBeGreaterThan(1_000);
  });

  it("accepts what toISOString writes and nothing written otherwise", () => {
    fc.assert(
      fc.property(
        fc.date({
          min: new Date("0000-01-01T00:00:00.000Z"),
          max: new Date("9999-12-31T23:59:59.999Z"),
          noInvalidDate: true,
        }),
        (date) => {
          expect(isIsoInstant(date.toISOString())).toBe(true);
        },
      ),
    );
    for (const text of [
      "2026-11-25T07:30:00Z",
      "2026-11-25T07:30:00.000+01:00",
      "2026-11-25 07:30:00.000Z",
      "+275760-09-13T00:00:00.000Z",
      "２０２６-11-25T07:30:00.000Z",
      "",
    ])
      expect(isIsoInstant(text)).toBe(false);
  });
});

describe("isoInstant", () => {
  /** What Date writes, or the error it throws. */
  const written = (ms: number) => {
    try {
      return new Date(ms).toISOString();
    } catch (error) {
      return (error as Error).name;
    }
  };
  const ours = (ms: number) => {
    try {
      return isoInstant(ms);
    } catch (error) {
      return (error as Error).name;
    }
  };

  it("writes every time value as toISOString does, in any order", () => {
    const anyTime = fc.oneof(
      fc.integer({ min: -8.64e15, max: 8.64e15 }),
      fc.integer({ min: -62_198_755_200_000, max: 253_402_300_799_999 }),
      fc.double({ min: -1e16, max: 1e16 }),
      fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, -0, -0.5, 0.5, 86_399_999.5, 8.64e15, -8.64e15),
    );
    // Runs of nearby times, as a stream of messages brings them: the same day, the next one.
    const run = fc
      .tuple(anyTime, fc.array(fc.integer({ min: -2 * 86_400_000, max: 2 * 86_400_000 }), { maxLength: 20 }))
      .map(([start, steps]) => [start, ...steps.map((step) => start + step)]);
    fc.assert(
      fc.property(fc.array(run, { minLength: 1, maxLength: 5 }), (runs) => {
        for (const ms of runs.flat()) expect(ours(ms)).toBe(written(ms));
      }),
      { numRuns: 5_000 },
    );
  });
});
