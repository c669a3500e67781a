import { DateTime } from "luxon";

/**
 * A roll-up's window length. `hour` and `day` follow the city's clock (a day in
 * Europe/Berlin has 23 or 25 hours twice a year); a short window (the local
 * stack's) is a fixed length counted from the Unix epoch.
 */
export interface Resolution {
  /** The `resolution` tag of its aggregates: `1h`, `1d`, or the short window's length. */
  readonly tag: string;
  /** The InfluxQL interval of `GROUP BY time(...)`. */
  readonly interval: string;
  /** For `tz(...)`: the zone its windows start in; absent for fixed windows. */
  readonly zone?: string;
  /** The start of the window holding `at`. */
  windowStart(at: number): number;
  /** The start of the window after the one starting at `start`. */
  nextWindow(start: number): number;
  /** The start of the window before the one starting at `start`. */
  previousWindow(start: number): number;
}

export function calendarResolution(unit: "hour" | "day", zone: string): Resolution {
  return {
    tag: unit === "hour" ? "1h" : "1d",
    interval: unit === "hour" ? "1h" : "1d",
    zone,
    windowStart: (at) => DateTime.fromMillis(at, { zone }).startOf(unit).toMillis(),
    nextWindow: (start) =>
      DateTime.fromMillis(start, { zone })
        .plus(unit === "hour" ? { hours: 1 } : { days: 1 })
        .toMillis(),
    previousWindow: (start) =>
      DateTime.fromMillis(start, { zone })
        .minus(unit === "hour" ? { hours: 1 } : { days: 1 })
        .toMillis(),
  };
}

/** Whole seconds: the tag reads `90s`, `5m`. */
export function fixedResolution(lengthMs: number): Resolution {
  if (lengthMs < 1_000 || lengthMs % 1_000 !== 0) throw new RangeError("a window is a whole number of seconds");
  const seconds = lengthMs / 1_000;
  const tag = seconds % 60 === 0 ? `${seconds / 60}m` : `${seconds}s`;
  return {
    tag,
    interval: `${seconds}s`,
    windowStart: (at) => Math.floor(at / lengthMs) * lengthMs,
    nextWindow: (start) => start + lengthMs,
    previousWindow: (start) => start - lengthMs,
  };
}

/** The window starts from `from` (a window start) up to, not including, `to`. */
export function windowsBetween(resolution: Resolution, from: number, to: number): number[] {
  const starts: number[] = [];
  for (let start = from; start < to; start = resolution.nextWindow(start)) starts.push(start);
  return starts;
}
