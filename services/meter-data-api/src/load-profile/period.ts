import { DateTime } from "luxon";

export type Resolution = "15m" | "1h";

export const RESOLUTION_MS: Readonly<Record<Resolution, number>> = { "15m": 900_000, "1h": 3_600_000 };

/**
 * A period's start or end: a local date (`2026-03-29`, its midnight in `zone`)
 * or an instant with an offset (`2026-03-29T00:00:00+01:00`). Undefined where
 * it is neither.
 */
export function periodInstant(text: string, zone: string): number | undefined {
  const local = /^\d{4}-\d{2}-\d{2}$/.test(text);
  const parsed = local ? DateTime.fromISO(text, { zone }) : DateTime.fromISO(text, { setZone: true });
  if (!parsed.isValid) return undefined;
  // An instant without an offset would be read in the server's zone: refuse it.
  if (!local && !/(Z|[+-]\d{2}:?\d{2})$/i.test(text)) return undefined;
  return parsed.toMillis();
}

/**
 * Boundaries every `resolution` from `from` to `to` in absolute time. A local
 * day is cut into 96 quarter-hours, 92 on the day clocks go forward and 100 on
 * the day they go back, because the steps are real durations, not wall-clock
 * times. Both ends must lie on the grid (whole quarter-hours or hours).
 */
export function intervalBoundaries(from: number, to: number, resolution: Resolution): number[] {
  const step = RESOLUTION_MS[resolution];
  const boundaries: number[] = [];
  for (let t = from; t <= to; t += step) boundaries.push(t);
  return boundaries;
}

/** Whether `at` is on the grid of `resolution` in `zone` (a whole local quarter-hour or hour). */
export function onGrid(at: number, resolution: Resolution, zone: string): boolean {
  const local = DateTime.fromMillis(at, { zone });
  const minutes = resolution === "1h" ? 60 : 15;
  return local.second === 0 && local.millisecond === 0 && local.minute % minutes === 0;
}

/** An instant as local time with its offset, which tells the two 02:30 of the autumn night apart. */
export function localTime(at: number, zone: string): string {
  return DateTime.fromMillis(at, { zone }).toISO({ suppressMilliseconds: true }) ?? new Date(at).toISOString();
}
