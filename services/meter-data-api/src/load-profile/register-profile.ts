/**
 * Consumption per interval from a cumulative register, computed from the
 * register's value at the interval boundaries. Pure: readings in, intervals
 * and events out, so that every rule below is tested without a database.
 *
 * - The register's value at a boundary is its last reading at or before the
 *   boundary, if that reading is at most `toleranceMs` old; a boundary without
 *   one is missing, and both intervals beside it are gaps. Nothing is
 *   interpolated: a gap says "unknown", never a guess.
 * - Between two consecutive readings the register may fall (a reset: the meter
 *   was reset or replaced by one with a lower count), rise faster than any
 *   connection can draw (`maxPowerKw`: a replacement with a higher count), or
 *   carry another serial number (an exchange). Each is an event, and an
 *   interval whose boundary values straddle one has no consumption, only its
 *   flag: never a negative or huge number.
 * - Readings missing inside an interval whose boundaries are known lose
 *   nothing: the register counted on.
 */

export interface RegisterReading {
  /** Epoch milliseconds. */
  readonly at: number;
  /** The register's count (kWh for energy). */
  readonly value: number;
  /** The meter's own serial number where the meter sends it. */
  readonly serial?: string;
}

export type IntervalStatus = "ok" | "gap" | "reset" | "exchange";

export interface IntervalConsumption {
  readonly start: number;
  readonly end: number;
  /** Null unless `status` is ok. */
  readonly consumption: number | null;
  readonly status: IntervalStatus;
}

export interface RegisterEvent {
  /** The first reading after the discontinuity. */
  readonly at: number;
  readonly kind: "reset" | "exchange";
  readonly reason: "register fell" | "register jumped" | "serial changed";
  readonly before: number;
  readonly after: number;
  readonly serialBefore?: string;
  readonly serialAfter?: string;
}

export interface ProfileOptions {
  /** Interval boundaries, ascending: n + 1 boundaries give n intervals. */
  readonly boundaries: readonly number[];
  /** How old a reading may be to stand for the register's value at a boundary. */
  readonly toleranceMs: number;
  /** A rise above this average power between two readings is not consumption (kW). */
  readonly maxPowerKw: number;
}

export interface RegisterProfile {
  readonly intervals: readonly IntervalConsumption[];
  readonly events: readonly RegisterEvent[];
}

const HOUR_MS = 3_600_000;
// Registers count in Wh or tenths of them; rounding to a micro-kWh removes float noise only.
const round = (kwh: number) => Math.round(kwh * 1e6) / 1e6;

/** `readings` must be sorted by time (InfluxDB answers in time order). */
export function registerProfile(readings: readonly RegisterReading[], options: ProfileOptions): RegisterProfile {
  const { boundaries, toleranceMs } = options;
  // discontinuity[k]: the event between reading k-1 and k, if any.
  const events: RegisterEvent[] = [];
  const eventAt: Array<RegisterEvent | undefined> = [undefined];
  for (let k = 1; k < readings.length; k++) {
    const event = discontinuity(readings[k - 1] as RegisterReading, readings[k] as RegisterReading, options.maxPowerKw);
    eventAt.push(event);
    if (event) events.push(event);
  }

  // Index of the reading standing for each boundary, or -1.
  const atBoundary: number[] = [];
  let next = 0;
  for (const boundary of boundaries) {
    while (next < readings.length && (readings[next] as RegisterReading).at <= boundary) next++;
    const last = next - 1;
    atBoundary.push(last >= 0 && boundary - (readings[last] as RegisterReading).at <= toleranceMs ? last : -1);
  }

  const intervals: IntervalConsumption[] = [];
  for (let n = 0; n + 1 < boundaries.length; n++) {
    const start = boundaries[n] as number;
    const end = boundaries[n + 1] as number;
    const i = atBoundary[n] as number;
    const j = atBoundary[n + 1] as number;
    if (i < 0 || j < 0) {
      intervals.push({ start, end, consumption: null, status: "gap" });
      continue;
    }
    const straddled = eventAt.slice(i + 1, j + 1).find((event) => event !== undefined);
    if (straddled) {
      intervals.push({ start, end, consumption: null, status: straddled.kind });
      continue;
    }
    const consumption = round((readings[j] as RegisterReading).value - (readings[i] as RegisterReading).value);
    intervals.push({ start, end, consumption, status: "ok" });
  }
  return { intervals, events };
}

function discontinuity(before: RegisterReading, after: RegisterReading, maxPowerKw: number): RegisterEvent | undefined {
  const serials = {
    ...(before.serial === undefined ? {} : { serialBefore: before.serial }),
    ...(after.serial === undefined ? {} : { serialAfter: after.serial }),
  };
  const base = { at: after.at, before: before.value, after: after.value, ...serials };
  if (before.serial !== undefined && after.serial !== undefined && before.serial !== after.serial)
    return { ...base, kind: "exchange", reason: "serial changed" };
  if (after.value < before.value) return { ...base, kind: "reset", reason: "register fell" };
  const hours = Math.max(after.at - before.at, 1000) / HOUR_MS;
  if (after.value - before.value > maxPowerKw * hours) return { ...base, kind: "exchange", reason: "register jumped" };
  return undefined;
}

/**
 * The readings `registerProfile` needs from `readings`, for the same result:
 * the first and the last, the last one at or before each boundary, and both
 * readings of every discontinuity. A meter read every second keeps about one
 * reading per interval, so a month of it is as small as a month of quarter-hours.
 * Sound because a rise within the power limit, a rise and an unchanged serial
 * stay so when the readings between are left out.
 */
export function thinReadings(
  readings: readonly RegisterReading[],
  boundaries: readonly number[],
  maxPowerKw: number,
): RegisterReading[] {
  const kept: RegisterReading[] = [];
  let boundary = 0;
  for (let k = 0; k < readings.length; k++) {
    const reading = readings[k] as RegisterReading;
    const next = readings[k + 1];
    const previous = readings[k - 1];
    while (boundary < boundaries.length && (boundaries[boundary] as number) < reading.at) boundary++;
    const standsForBoundary =
      next === undefined || (boundary < boundaries.length && (boundaries[boundary] as number) < next.at);
    if (
      previous === undefined ||
      standsForBoundary ||
      discontinuity(previous, reading, maxPowerKw) !== undefined ||
      (next !== undefined && discontinuity(reading, next, maxPowerKw) !== undefined)
    )
      kept.push(reading);
  }
  return kept;
}

/**
 * Adds the next chunk of readings (a day) to those kept so far, thinned. The
 * last reading kept so far is judged again beside the chunk's first, so that
 * thinning chunk by chunk keeps what thinning all at once would.
 */
export function appendThinned(
  kept: RegisterReading[],
  chunk: readonly RegisterReading[],
  thin: (readings: RegisterReading[]) => RegisterReading[],
): void {
  if (chunk.length === 0) return;
  const last = kept.pop();
  kept.push(...thin(last === undefined ? [...chunk] : [last, ...chunk]));
}

/** The sum of the intervals with a consumption, and how many had none. */
export function registerTotal(intervals: readonly IntervalConsumption[]): {
  readonly consumption: number;
  readonly intervals: number;
  readonly missing: number;
} {
  let consumption = 0;
  let missing = 0;
  for (const interval of intervals) {
    if (interval.consumption === null) missing++;
    else consumption += interval.consumption;
  }
  return { consumption: round(consumption), intervals: intervals.length, missing };
}
