/**
 * Public holidays in Saxony, where Musterstadt lies: the nine national ones,
 * Reformationstag (31 October) and Buß- und Bettag (the Wednesday before
 * 23 November). The BDEW load profiles treat them as Sundays.
 */
export function isPublicHoliday(year: number, month: number, day: number): boolean {
  const date = Date.UTC(year, month - 1, day);
  return holidays(year).includes(date);
}

const cache = new Map<number, number[]>();

function holidays(year: number): number[] {
  let list = cache.get(year);
  if (!list) {
    const easter = easterSunday(year);
    const fromEaster = (days: number) => easter + days * 86_400_000;
    const fixed = (month: number, day: number) => Date.UTC(year, month - 1, day);
    // The Wednesday in 16-22 November.
    const nov22 = new Date(fixed(11, 22));
    const repentance = fixed(11, 22 - ((nov22.getUTCDay() - 3 + 7) % 7));
    list = [
      fixed(1, 1), // Neujahr
      fromEaster(-2), // Karfreitag
      fromEaster(1), // Ostermontag
      fixed(5, 1), // Tag der Arbeit
      fromEaster(39), // Christi Himmelfahrt
      fromEaster(50), // Pfingstmontag
      fixed(10, 3), // Tag der Deutschen Einheit
      fixed(10, 31), // Reformationstag
      repentance, // Buß- und Bettag
      fixed(12, 25),
      fixed(12, 26),
    ];
    cache.set(year, list);
  }
  return list;
}

/** Gregorian Easter Sunday (the anonymous "Meeus/Jones/Butcher" algorithm), as UTC midnight. */
export function easterSunday(year: number): number {
  const a = year % 19;
  const b = Math.floor(year / 100);
  const c = year % 100;
  const d = Math.floor(b / 4);
  const e = b % 4;
  const f = Math.floor((b + 8) / 25);
  const g = Math.floor((b - f + 1) / 3);
  const h = (19 * a + b - d - g + 15) % 30;
  const i = Math.floor(c / 4);
  const k = c % 4;
  const l = (32 + 2 * e + 2 * i - h - k) % 7;
  const m = Math.floor((a + 11 * h + 22 * l) / 451);
  const month = Math.floor((h + l - 7 * m + 114) / 31);
  const day = ((h + l - 7 * m + 114) % 31) + 1;
  return Date.UTC(year, month - 1, day);
}
