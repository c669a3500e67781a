/** What Date.prototype.toISOString writes for the years 0000-9999: every instant the normalizer writes. */
const UTC_MILLIS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** The number written by `count` ASCII digits from `from` (the pattern checked they are digits). */
function digits(text: string, from: number, count: number): number {
  let value = 0;
  for (let i = from; i < from + count; i++) value = value * 10 + text.charCodeAt(i) - 48;
  return value;
}

/**
 * A real date (not February 30th), as toISOString would write it. Read digit by
 * digit: Date's parser (twice per observation) cost more than the rest of the
 * normalizer's check of an observation.
 */
export function isIsoInstant(text: string): boolean {
  // A message's readings share their instants (measured, received): the last two that passed are asked again.
  if (text === lastIsoInstant || text === lastButOneIsoInstant) return true;
  if (!UTC_MILLIS.test(text)) return false;
  const year = digits(text, 0, 4);
  const month = digits(text, 5, 2);
  const day = digits(text, 8, 2);
  const real =
    month >= 1 &&
    month <= 12 &&
    day >= 1 &&
    day <= daysIn(year, month) &&
    digits(text, 11, 2) <= 23 &&
    digits(text, 14, 2) <= 59 &&
    digits(text, 17, 2) <= 59;
  if (real) {
    lastButOneIsoInstant = lastIsoInstant;
    lastIsoInstant = text;
  }
  return real;
}

// Instants that pass, so that nothing else is taken for one before the first call.
let lastIsoInstant = "1970-01-01T00:00:00.000Z";
let lastButOneIsoInstant = lastIsoInstant;

/** Days of a month of the proleptic Gregorian calendar, as Date counts them. */
function daysIn(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/**
 * `new Date(text).getTime()`, equal for every string: an observation's instant
 * as toISOString wrote it is read digit by digit (Date's parser was a tenth of
 * the writer's cost of turning a record into lines); anything else (an offset,
 * a day past the 28th, the years before 100, which Date.UTC would move) goes to
 * Date's parser.
 */
export function instantMs(text: string): number {
  if (!UTC_MILLIS.test(text)) return new Date(text).getTime();
  const year = digits(text, 0, 4);
  const month = digits(text, 5, 2);
  const day = digits(text, 8, 2);
  const hour = digits(text, 11, 2);
  const minute = digits(text, 14, 2);
  const second = digits(text, 17, 2);
  if (year < 100 || month < 1 || month > 12 || day < 1 || day > 28 || hour > 23 || minute > 59 || second > 59)
    return new Date(text).getTime();
  return Date.UTC(year, month - 1, day, hour, minute, second, digits(text, 20, 3));
}

const DAY_MS = 86_400_000;
const TWO_DIGITS = Array.from({ length: 100 }, (_, n) => String(n).padStart(2, "0"));
const THREE_DIGITS = Array.from({ length: 1_000 }, (_, n) => String(n).padStart(3, "0"));
/** The UTC day of the last instant written, and its `YYYY-MM-DDT`. */
let dayStart = Number.NaN;
let dayPrefix = "";

/**
 * `new Date(ms).toISOString()`, equal for every time value: the time of day
 * written from a day's prefix kept from the last call. Date's own writer cost
 * more than a microsecond, twice per message in the normalizer.
 */
export function isoInstant(ms: number): string {
  const sinceDayStart = ms - dayStart;
  // Whole milliseconds only: Date cuts a fraction off toward zero.
  if (sinceDayStart >= 0 && sinceDayStart < DAY_MS && Number.isInteger(ms)) {
    const hours = Math.floor(sinceDayStart / 3_600_000);
    const minutes = Math.floor(sinceDayStart / 60_000) % 60;
    const seconds = Math.floor(sinceDayStart / 1_000) % 60;
    return `${dayPrefix}${TWO_DIGITS[hours]}:${TWO_DIGITS[minutes]}:${TWO_DIGITS[seconds]}.${THREE_DIGITS[sinceDayStart % 1_000]}Z`;
  }
  // Throws as Date does for a value that is no time (NaN, beyond ±8.64e15 ms).
  const text = new Date(ms).toISOString();
  // Only the four-digit years (the six-digit ones are written with a sign and are longer).
  if (text.length === 24 && Number.isInteger(ms)) {
    dayStart = ms - (((ms % DAY_MS) + DAY_MS) % DAY_MS);
    dayPrefix = text.slice(0, 11);
  }
  return text;
}
