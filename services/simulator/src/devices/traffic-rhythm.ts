import { dayType } from "../calendar/day-type.ts";
import { hourOfDay, type LocalTime } from "../calendar/local-time.ts";

/**
 * Smooth daily shapes from Gaussian peaks over the hour of day (0-24), so that
 * dashboards show the rhythm of a city rather than noise.
 */
export function peaks(
  hour: number,
  base: number,
  bumps: ReadonlyArray<readonly [centre: number, width: number, height: number]>,
): number {
  let value = base;
  for (const [centre, width, height] of bumps) value += height * Math.exp(-((hour - centre) ** 2) / (2 * width ** 2));
  return value;
}

/** trafficIntensity at 07:30 on a Monday to Thursday. */
export const PEAK_TRAFFIC_INTENSITY = 44;

/**
 * Vehicles per interval and lane on a typical arterial road: commuter peaks
 * at 07:30 and 16:30 on workdays, with Friday's afternoon earlier and longer;
 * shopping around midday on Saturdays; a late, flat leisure curve on Sundays
 * and public holidays.
 */
export function trafficIntensity(local: LocalTime): number {
  const hour = hourOfDay(local);
  switch (dayType(local)) {
    case "sunday":
      return peaks(hour, 1.5, [[15, 3.5, 14]]);
    case "saturday":
      return peaks(hour, 2, [
        [12, 2.8, 26],
        [17.5, 2, 8],
      ]);
    default:
      return local.weekday === 5
        ? peaks(hour, 2, [
            [7.5, 1.1, 36],
            [14.5, 2.4, 38],
            [11.5, 2.5, 12],
          ])
        : peaks(hour, 2, [
            [7.5, 1.1, 40],
            [16.5, 1.7, 35],
            [12.5, 2.5, 12],
          ]);
  }
}
