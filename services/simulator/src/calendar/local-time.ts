/** The simulated town's clock: devices report local time, and people live by it. */
export const TOWN_TIME_ZONE = "Europe/Berlin";

export interface LocalTime {
  readonly year: number;
  /** 1-12 */
  readonly month: number;
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
  /** ISO weekday: 1 Monday … 7 Sunday. */
  readonly weekday: number;
  /** Minutes ahead of UTC. */
  readonly offsetMinutes: number;
  /** Daylight saving time (DSMR's "S" suffix) rather than standard time ("W"). */
  readonly summerTime: boolean;
}

const DAY_MS = 86_400_000;
const QUARTER_MS = 900_000;
const formatters = new Map<string, Intl.DateTimeFormat>();

/** The zone's offset at `at`, from Intl (slow: the cache below calls it a few times a day). */
function measuredOffset(at: number, timeZone: string): number {
  let format = formatters.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat("en-GB", {
      timeZone,
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
      hourCycle: "h23",
    });
    formatters.set(timeZone, format);
  }
  const parts = format.formatToParts(at);
  const get = (type: Intl.DateTimeFormatPartTypes) => Number(parts.find((p) => p.type === type)?.value ?? 0);
  const asUtc = Date.UTC(get("year"), get("month") - 1, get("day"), get("hour"), get("minute"), get("second"));
  return Math.round((asUtc - Math.floor(at / 1000) * 1000) / 60_000);
}

// UTC day → its offset, or each quarter hour's offset on a day the clocks change.
const offsets = new Map<string, number | number[]>();

function offsetAt(at: number, timeZone: string): number {
  const day = Math.floor(at / DAY_MS);
  const key = `${timeZone} ${day}`;
  let entry = offsets.get(key);
  if (entry === undefined) {
    const start = measuredOffset(day * DAY_MS, timeZone);
    const end = measuredOffset((day + 1) * DAY_MS - 1000, timeZone);
    // Clocks change on quarter-hour boundaries, at most once a day.
    entry =
      start === end
        ? start
        : Array.from({ length: 96 }, (_, q) => measuredOffset(day * DAY_MS + q * QUARTER_MS, timeZone));
    if (offsets.size > 10_000) offsets.clear();
    offsets.set(key, entry);
  }
  return typeof entry === "number" ? entry : (entry[Math.floor((at - day * DAY_MS) / QUARTER_MS)] ?? 0);
}

/** The wall-clock reading of `at` in `timeZone`. */
export function localTime(at: Date, timeZone = TOWN_TIME_ZONE): LocalTime {
  const t = at.getTime();
  const offsetMinutes = offsetAt(t, timeZone);
  const wall = new Date(t + offsetMinutes * 60_000);
  const year = wall.getUTCFullYear();
  // Standard time is the smaller of the midwinter and midsummer offsets (either hemisphere).
  const standard = Math.min(offsetAt(Date.UTC(year, 0, 15), timeZone), offsetAt(Date.UTC(year, 6, 15), timeZone));
  return {
    year,
    month: wall.getUTCMonth() + 1,
    day: wall.getUTCDate(),
    hour: wall.getUTCHours(),
    minute: wall.getUTCMinutes(),
    second: wall.getUTCSeconds(),
    weekday: wall.getUTCDay() === 0 ? 7 : wall.getUTCDay(),
    offsetMinutes,
    summerTime: offsetMinutes > standard,
  };
}

/** Hour of the day with its fraction (07:30 → 7.5). */
export function hourOfDay(local: LocalTime): number {
  return local.hour + local.minute / 60 + local.second / 3600;
}

/** 1 on 1 January … 365 (366) on 31 December. */
export function dayOfYear(local: Pick<LocalTime, "year" | "month" | "day">): number {
  return (Date.UTC(local.year, local.month - 1, local.day) - Date.UTC(local.year, 0, 1)) / DAY_MS + 1;
}

const pad = (n: number) => String(n).padStart(2, "0");

/** `2026-11-25T08:30:00`: local time without an offset, as Tasmota prints it. */
export function localIsoWithoutOffset(local: LocalTime): string {
  return `${local.year}-${pad(local.month)}-${pad(local.day)}T${pad(local.hour)}:${pad(local.minute)}:${pad(local.second)}`;
}
