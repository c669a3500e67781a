import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { intervalBoundaries, localTime, periodInstant } from "./period.ts";
import {
  appendThinned,
  type RegisterReading,
  registerProfile,
  registerTotal,
  thinReadings,
} from "./register-profile.ts";

const MINUTE = 60_000;
const QUARTER = 15 * MINUTE;
const zone = "Europe/Berlin";
// Fixed instants: local midnights in Berlin around the clock changes of 2026.
const ordinaryDay = Date.UTC(2026, 5, 9, 22); // 2026-06-10T00:00+02:00
const springDay = Date.UTC(2026, 2, 28, 23); // 2026-03-29T00:00+01:00, clocks go forward at 02:00
const autumnDay = Date.UTC(2026, 9, 24, 22); // 2026-10-25T00:00+02:00, clocks go back at 03:00

/** A register drawing `kw` constantly, read every `stepMs` from `from` to `to` inclusive. */
function steadyReadings(from: number, to: number, stepMs: number, kw: number, start = 1000): RegisterReading[] {
  const readings: RegisterReading[] = [];
  for (let at = from; at <= to; at += stepMs) readings.push({ at, value: start + (kw * (at - from)) / 3_600_000 });
  return readings;
}

const options = (from: number, to: number) => ({
  boundaries: intervalBoundaries(from, to, "15m"),
  toleranceMs: 5 * MINUTE,
  maxPowerKw: 100,
});

describe("the quarter-hours of a local day", () => {
  it("an ordinary day has 96", () => {
    const from = periodInstant("2026-06-10", zone) as number;
    const to = periodInstant("2026-06-11", zone) as number;
    expect(from).toBe(ordinaryDay);
    expect(intervalBoundaries(from, to, "15m")).toHaveLength(97);
    expect(intervalBoundaries(from, to, "1h")).toHaveLength(25);
  });

  it("the day clocks go forward has 92, and 23 hours", () => {
    const from = periodInstant("2026-03-29", zone) as number;
    const to = periodInstant("2026-03-30", zone) as number;
    expect(from).toBe(springDay);
    expect(intervalBoundaries(from, to, "15m")).toHaveLength(93);
    expect(intervalBoundaries(from, to, "1h")).toHaveLength(24);
  });

  it("the day clocks go back has 100, and 25 hours", () => {
    const from = periodInstant("2026-10-25", zone) as number;
    const to = periodInstant("2026-10-26", zone) as number;
    expect(from).toBe(autumnDay);
    expect(intervalBoundaries(from, to, "15m")).toHaveLength(101);
    expect(intervalBoundaries(from, to, "1h")).toHaveLength(26);
  });

  it("local times tell the two 02:15 of the autumn night apart", () => {
    const starts = intervalBoundaries(autumnDay, autumnDay + 25 * 3_600_000, "15m").map((t) => localTime(t, zone));
    expect(starts.filter((s) => s.startsWith("2026-10-25T02:15"))).toEqual([
      "2026-10-25T02:15:00+02:00",
      "2026-10-25T02:15:00+01:00",
    ]);
  });

  it("refuses an instant without an offset, and reads one with", () => {
    expect(periodInstant("2026-06-10T00:00:00", zone)).toBeUndefined();
    expect(periodInstant("2026-06-10T00:00:00+02:00", zone)).toBe(ordinaryDay);
    expect(periodInstant("2026-06-10T00:00:00Z", zone)).toBe(ordinaryDay + 2 * 3_600_000);
    expect(periodInstant("yesterday", zone)).toBeUndefined();
  });
});

describe("consumption per interval from a cumulative register", () => {
  it("a steady 1.2 kW gives 0.3 kWh in each of the 92 quarter-hours of the spring day", () => {
    const to = springDay + 23 * 3_600_000;
    const profile = registerProfile(steadyReadings(springDay - MINUTE, to, MINUTE, 1.2), options(springDay, to));
    expect(profile.intervals).toHaveLength(92);
    for (const interval of profile.intervals) expect(interval).toMatchObject({ status: "ok", consumption: 0.3 });
    expect(profile.events).toEqual([]);
    expect(registerTotal(profile.intervals)).toEqual({ consumption: 27.6, intervals: 92, missing: 0 });
  });

  it("each of the 100 quarter-hours of the autumn day is the register's rise across it", () => {
    const to = autumnDay + 25 * 3_600_000;
    // A rising load: 0.5 kW at midnight, +0.01 kW per quarter-hour; read every 5 minutes.
    const readings: RegisterReading[] = [];
    let value = 20_000;
    for (let at = autumnDay; at <= to; at += 5 * MINUTE) {
      readings.push({ at, value });
      value += ((0.5 + 0.01 * Math.floor((at - autumnDay) / QUARTER)) * 5) / 60;
    }
    const profile = registerProfile(readings, options(autumnDay, to));
    expect(profile.intervals).toHaveLength(100);
    const byStart = new Map(readings.map((r) => [r.at, r.value]));
    for (const interval of profile.intervals) {
      const direct = (byStart.get(interval.end) as number) - (byStart.get(interval.start) as number);
      expect(interval.status).toBe("ok");
      expect(interval.consumption).toBeCloseTo(direct, 6);
    }
    expect(registerTotal(profile.intervals).consumption).toBeCloseTo(
      (byStart.get(to) as number) - (byStart.get(autumnDay) as number),
      5,
    );
  });

  it("a reading exactly at a boundary stands for it; one after it does not", () => {
    const readings = [
      { at: ordinaryDay, value: 10 },
      { at: ordinaryDay + QUARTER, value: 10.5 },
      { at: ordinaryDay + QUARTER + 1, value: 10.6 },
    ];
    const profile = registerProfile(readings, options(ordinaryDay, ordinaryDay + QUARTER));
    expect(profile.intervals).toEqual([
      { start: ordinaryDay, end: ordinaryDay + QUARTER, consumption: 0.5, status: "ok" },
    ]);
  });

  it("readings missing inside a quarter-hour lose nothing when its boundaries are known", () => {
    const readings = [
      { at: ordinaryDay - MINUTE, value: 100 },
      { at: ordinaryDay + QUARTER - 2 * MINUTE, value: 100.4 },
    ];
    const profile = registerProfile(readings, options(ordinaryDay, ordinaryDay + QUARTER));
    expect(profile.intervals[0]).toMatchObject({ status: "ok", consumption: 0.4 });
  });

  it("an hour without readings is a gap of four quarter-hours, never interpolated", () => {
    const to = ordinaryDay + 3 * 3_600_000;
    const outageFrom = ordinaryDay + 3_600_000;
    const outageTo = ordinaryDay + 2 * 3_600_000;
    const readings = steadyReadings(ordinaryDay, to, MINUTE, 2).filter((r) => r.at < outageFrom || r.at >= outageTo);
    const profile = registerProfile(readings, options(ordinaryDay, to));
    const statuses = profile.intervals.map((i) => i.status);
    // 01:00 still has its reading of 00:59 and 02:00 its own; 01:15, 01:30 and 01:45 have none within 5 minutes.
    expect(statuses).toEqual([...Array(4).fill("ok"), ...Array(4).fill("gap"), ...Array(4).fill("ok")]);
    for (const interval of profile.intervals.filter((i) => i.status === "gap")) expect(interval.consumption).toBeNull();
    // 00:45 to 01:00 ends on the reading of 00:59: 2 kW for 59 minutes, then 2 kW for the last hour.
    expect(profile.intervals[3]?.consumption).toBeCloseTo((2 * 14) / 60, 6);
    expect(registerTotal(profile.intervals)).toEqual({ consumption: 3.966667, intervals: 12, missing: 4 });
  });

  it("a reading older than the tolerance does not stand for a boundary", () => {
    const readings = [
      { at: ordinaryDay - 6 * MINUTE, value: 1 },
      { at: ordinaryDay + QUARTER, value: 2 },
    ];
    expect(registerProfile(readings, options(ordinaryDay, ordinaryDay + QUARTER)).intervals[0]?.status).toBe("gap");
  });

  it("a period without any reading is all gaps", () => {
    const profile = registerProfile([], options(ordinaryDay, ordinaryDay + 3_600_000));
    expect(profile.intervals.map((i) => i.status)).toEqual(["gap", "gap", "gap", "gap"]);
  });

  it("a register that falls to zero is a reset: shown, never a negative consumption", () => {
    const to = ordinaryDay + 3_600_000;
    const resetAt = ordinaryDay + 20 * MINUTE;
    const readings = steadyReadings(ordinaryDay, to, MINUTE, 1.2).map((r) =>
      r.at >= resetAt ? { at: r.at, value: ((r.at - resetAt) * 1.2) / 3_600_000 } : r,
    );
    const profile = registerProfile(readings, options(ordinaryDay, to));
    expect(profile.intervals.map((i) => i.status)).toEqual(["ok", "reset", "ok", "ok"]);
    expect(profile.intervals[1]?.consumption).toBeNull();
    expect(profile.intervals[2]?.consumption).toBeCloseTo(0.3, 6);
    expect(profile.events).toEqual([
      expect.objectContaining({ at: resetAt, kind: "reset", reason: "register fell", after: 0 }),
    ]);
    for (const interval of profile.intervals) expect(interval.consumption ?? 0).toBeGreaterThanOrEqual(0);
  });

  it("a new serial number behind the device is an exchange, even when the new count is higher", () => {
    const to = ordinaryDay + 30 * MINUTE;
    const exchangeAt = ordinaryDay + 20 * MINUTE;
    const readings = steadyReadings(ordinaryDay, to, MINUTE, 1.2).map((r) =>
      r.at >= exchangeAt
        ? { ...r, value: r.value + 0.01, serial: "1ESY1161234567" }
        : { ...r, serial: "1ESY1160000001" },
    );
    const profile = registerProfile(readings, options(ordinaryDay, to));
    expect(profile.intervals.map((i) => i.status)).toEqual(["ok", "exchange"]);
    expect(profile.events).toEqual([
      expect.objectContaining({
        at: exchangeAt,
        kind: "exchange",
        reason: "serial changed",
        serialBefore: "1ESY1160000001",
        serialAfter: "1ESY1161234567",
      }),
    ]);
  });

  it("a jump no connection can draw is an exchange, not a huge consumption", () => {
    const to = ordinaryDay + 30 * MINUTE;
    const jumpAt = ordinaryDay + 5 * MINUTE;
    const readings = steadyReadings(ordinaryDay, to, MINUTE, 1.2).map((r) =>
      r.at >= jumpAt ? { ...r, value: r.value + 48_000 } : r,
    );
    const profile = registerProfile(readings, options(ordinaryDay, to));
    expect(profile.intervals.map((i) => [i.status, i.consumption])).toEqual([
      ["exchange", null],
      ["ok", 0.3],
    ]);
    expect(profile.events).toEqual([expect.objectContaining({ kind: "exchange", reason: "register jumped" })]);
  });

  it("a reset outside the intervals' boundary readings flags no interval", () => {
    // The register fell between two readings that both lie before the period.
    const readings = [
      { at: ordinaryDay - 4 * MINUTE, value: 50 },
      { at: ordinaryDay - 2 * MINUTE, value: 0 },
      { at: ordinaryDay + QUARTER, value: 0.25 },
    ];
    const profile = registerProfile(readings, options(ordinaryDay, ordinaryDay + QUARTER));
    expect(profile.intervals[0]).toMatchObject({ status: "ok", consumption: 0.25 });
    expect(profile.events).toHaveLength(1);
  });
});

describe("thinning the readings of a frequently read meter", () => {
  const reading = fc.record({
    // Mostly dense (so that thinning leaves readings out), now and then a long pause.
    stepMs: fc.oneof(
      { arbitrary: fc.integer({ min: 1, max: 2 * MINUTE }), weight: 9 },
      { arbitrary: fc.integer({ min: 1, max: 20 * MINUTE }), weight: 1 },
    ),
    // Now and then a reset, a jump or another serial; mostly an ordinary rise.
    rise: fc.oneof(
      { arbitrary: fc.double({ min: 0, max: 0.5, noNaN: true }), weight: 60 },
      { arbitrary: fc.constant(-3), weight: 1 },
      { arbitrary: fc.constant(5000), weight: 1 },
    ),
    serial: fc.oneof({ arbitrary: fc.constant("A"), weight: 60 }, { arbitrary: fc.constant("B"), weight: 1 }),
  });

  it("gives the same profile as every reading", () => {
    fc.assert(
      fc.property(fc.array(reading, { maxLength: 400 }), fc.integer({ min: 0, max: 30 * MINUTE }), (steps, offset) => {
        const readings: RegisterReading[] = [];
        let at = ordinaryDay - offset;
        let value = 100;
        for (const step of steps) {
          at += step.stepMs;
          value = Math.max(0, value + step.rise);
          readings.push({ at, value, serial: step.serial });
        }
        const opts = options(ordinaryDay, ordinaryDay + 4 * 3_600_000);
        const thinned = thinReadings(readings, opts.boundaries, opts.maxPowerKw);
        expect(registerProfile(thinned, opts).intervals).toEqual(registerProfile(readings, opts).intervals);
        expect(registerProfile(thinned, opts).events).toEqual(registerProfile(readings, opts).events);
      }),
    );
  });

  it("thinned chunk by chunk, as the days are read, gives the same profile", () => {
    fc.assert(
      fc.property(
        fc.array(reading, { minLength: 1, maxLength: 300 }),
        fc.array(fc.integer({ min: 1, max: 60 }), { minLength: 1 }),
        (steps, chunkSizes) => {
          const readings: RegisterReading[] = [];
          let at = ordinaryDay - MINUTE;
          let value = 100;
          for (const step of steps) {
            at += step.stepMs;
            value = Math.max(0, value + step.rise);
            readings.push({ at, value, serial: step.serial });
          }
          const opts = options(ordinaryDay, ordinaryDay + 4 * 3_600_000);
          const kept: RegisterReading[] = [];
          let start = 0;
          for (let i = 0; start < readings.length; i++) {
            const size = chunkSizes[i % chunkSizes.length] as number;
            appendThinned(kept, readings.slice(start, start + size), (chunk) =>
              thinReadings(chunk, opts.boundaries, opts.maxPowerKw),
            );
            start += size;
          }
          expect(registerProfile(kept, opts)).toEqual(registerProfile(readings, opts));
        },
      ),
    );
  });

  it("keeps about one reading per interval of a meter read every second", () => {
    const to = ordinaryDay + 3_600_000;
    const readings = steadyReadings(ordinaryDay - MINUTE, to, 1000, 1.2);
    const opts = options(ordinaryDay, to);
    const thinned = thinReadings(readings, opts.boundaries, opts.maxPowerKw);
    // The first, the one standing for each of the five boundaries, the last.
    expect(thinned.length).toBeLessThanOrEqual(7);
    expect(registerProfile(thinned, opts)).toEqual(registerProfile(readings, opts));
  });
});
