import type { LocalTime } from "./local-time.ts";
import { isPublicHoliday } from "./public-holidays.ts";

/** The three day types of the BDEW load profiles, which also shape traffic. */
export type DayType = "workday" | "saturday" | "sunday";

/**
 * Sundays and public holidays are Sundays; 24 and 31 December count as
 * Saturdays unless they fall on a Sunday (the BDEW rule).
 */
export function dayType(local: Pick<LocalTime, "year" | "month" | "day" | "weekday">): DayType {
  if (local.weekday === 7 || isPublicHoliday(local.year, local.month, local.day)) return "sunday";
  if (local.weekday === 6 || (local.month === 12 && (local.day === 24 || local.day === 31))) return "saturday";
  return "workday";
}
