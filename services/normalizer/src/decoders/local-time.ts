import { DecodeError, excerpt } from "@stadtfluss/errors";
import { DateTime } from "luxon";
import { parseTime } from "./payload.ts";

const LOCAL_ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?$/;

/**
 * A device time: ISO 8601 with an offset or epoch seconds/milliseconds as
 * `parseTime` reads them, or a wall-clock time without offset read in `zone`
 * (see `parseLocalTime`).
 */
export function parseDeviceTime(value: string | number, field: string, zone: string, near?: Date): Date {
  if (typeof value === "string" && LOCAL_ISO.test(value)) return parseLocalTime(value, field, zone, near);
  return parseTime(value, field);
}

/**
 * A wall-clock time without offset (`2024-01-14T12:00:00`) in an IANA zone.
 *
 * - A time the zone skips (02:30 on the day summer time begins) is refused: the
 *   device's clock rules and the zone disagree, and any guess would misplace the
 *   reading by an hour.
 * - A time the zone has twice (02:30 on the day summer time ends) is taken at
 *   the candidate nearest to `near` (when the message was received: devices
 *   that report at once are then right), or at the earlier one without `near`.
 */
export function parseLocalTime(value: string, field: string, zone: string, near?: Date): Date {
  if (!LOCAL_ISO.test(value))
    throw new DecodeError(`${field} must be a local time like 2024-01-14T12:00:00, got "${excerpt(value, 40)}"`);
  // Offsets change at whole seconds: the candidates of one wall-clock second hold for all its fractions.
  const wallClock = value.length === 16 ? `${value}:00` : value.slice(0, 19);
  const key = `${zone} ${wallClock}`;
  let seconds = candidateCache.get(key);
  if (seconds === undefined) {
    seconds = candidatesOf(wallClock, field, value, zone);
    if (candidateCache.size >= CANDIDATE_CACHE_SIZE) candidateCache.clear();
    candidateCache.set(key, seconds);
  }
  if (seconds === "skipped")
    throw new DecodeError(`${field} ${value} does not exist in ${zone} (skipped when summer time begins)`);
  // As luxon reads a fraction: milliseconds, the rest cut off.
  const millis = value.length > 20 ? Math.floor(Number.parseFloat(`0.${value.slice(20)}`) * 1000) : 0;
  const candidates = seconds.map((epoch) => new Date(epoch + millis));
  const [earlier] = candidates as [Date];
  if (!near) return earlier;
  return candidates.reduce(
    (best, c) => (Math.abs(c.getTime() - near.getTime()) < Math.abs(best.getTime() - near.getTime()) ? c : best),
    earlier,
  );
}

/**
 * Wall-clock second in a zone → its instants (epoch ms, earliest first), or "skipped".
 * Devices send the current time, so most messages of a second share one entry, and
 * luxon (about two thirds of a local-time message's CPU) runs about once a second per zone.
 */
const candidateCache = new Map<string, readonly number[] | "skipped">();
const CANDIDATE_CACHE_SIZE = 10_000;

function candidatesOf(wallClock: string, field: string, value: string, zone: string): readonly number[] | "skipped" {
  const parsed = DateTime.fromISO(wallClock, { zone });
  if (!parsed.isValid) {
    if (parsed.invalidReason === "unsupported zone") throw new Error(`unknown time zone "${zone}"`);
    throw new DecodeError(`${field} is not a valid time: "${excerpt(value, 40)}"`);
  }
  if (parsed.toFormat("yyyy-MM-dd'T'HH:mm:ss") !== wallClock) return "skipped";
  const candidates = parsed
    .getPossibleOffsets()
    .map((dt) => dt.toMillis())
    .sort((a, b) => a - b);
  return candidates.length > 0 ? candidates : [parsed.toMillis()];
}
