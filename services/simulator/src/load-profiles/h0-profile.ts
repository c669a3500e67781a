import { type DayType, dayType } from "../calendar/day-type.ts";
import { dayOfYear, type LocalTime, localTime } from "../calendar/local-time.ts";
import { H0_TABLE, type Season } from "./h0-table.ts";

const QUARTER_HOUR_MS = 15 * 60_000;

/** BDEW seasons by calendar date. */
export function season(month: number, day: number): Season {
  const md = month * 100 + day;
  if (md >= 1101 || md <= 320) return "winter";
  if (md >= 515 && md <= 914) return "summer";
  return "transition";
}

/**
 * The BDEW dynamisation factor for day `t` of the year (1 = 1 January): it
 * smooths the seasons' steps, high in winter and low in summer.
 */
export function dynamisation(t: number): number {
  return -3.92e-10 * t ** 4 + 3.2e-7 * t ** 3 - 7.02e-5 * t ** 2 + 2.1e-3 * t + 1.24;
}

/** The dynamised H0 value of one local quarter hour, rounded to 0.1 W as the BDEW prescribes. */
export function h0Watts(local: LocalTime): number {
  const quarter = local.hour * 4 + Math.floor(local.minute / 15);
  const type: DayType = dayType(local);
  const value = H0_TABLE[season(local.month, local.day)][type][quarter] ?? 0;
  return Math.round(value * dynamisation(dayOfYear(local)) * 10) / 10;
}

/** Average power in W, at `at`, of a household using 1,000 kWh a year. */
export function h0Power(at: Date): number {
  return h0Watts(localTime(at));
}

export interface H0Segment {
  readonly from: number;
  readonly to: number;
  /** W per 1,000 kWh/a. */
  readonly watts: number;
  readonly local: LocalTime;
}

/**
 * The piecewise-constant profile between two instants, cut at quarter hours.
 * Berlin's offset is whole hours, so UTC quarter hours are local ones.
 */
export function* h0Segments(from: number, to: number): Generator<H0Segment> {
  let start = from;
  while (start < to) {
    const end = Math.min(to, (Math.floor(start / QUARTER_HOUR_MS) + 1) * QUARTER_HOUR_MS);
    const local = localTime(new Date(start));
    yield { from: start, to: end, watts: h0Watts(local), local };
    start = end;
  }
}

/** Energy in Wh that a household using `annualKWh` draws between two instants, by the profile. */
export function h0Energy(from: Date, to: Date, annualKWh: number): number {
  let wattHours = 0;
  for (const segment of h0Segments(from.getTime(), to.getTime()))
    wattHours += (segment.watts * (segment.to - segment.from)) / 3_600_000;
  return (wattHours * annualKWh) / 1000;
}
