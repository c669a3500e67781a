import type { ParkingArea } from "./devices/parking-sensor.ts";
import { type Location, offset } from "./town-map.ts";

/** A car park of Musterstadt: its bays' sensors name it as their site in the registry. */
export interface ParkingSite {
  /** The registry's `site`, and the InfluxDB tag. */
  readonly id: string;
  readonly eastKm: number;
  readonly northKm: number;
  /** When its bays are taken. */
  readonly area: ParkingArea;
}

/**
 * Two car parks in the old town and one in a residential street of the
 * Neustadt, so that a district holds more than one site and per site differs
 * from per district.
 */
export const PARKING_SITES: readonly ParkingSite[] = [
  { id: "parkhaus-markt", eastKm: 0.25, northKm: -0.15, area: "centre" },
  { id: "tiefgarage-schloss", eastKm: -0.4, northKm: 0.35, area: "centre" },
  { id: "parkplatz-hechtviertel", eastKm: 0.4, northKm: 2.2, area: "residential" },
];

/** Bay `i`'s site, in turn, so that every site has bays once there are as many bays as sites. */
export function parkingSiteOf(i: number): ParkingSite {
  return PARKING_SITES[i % PARKING_SITES.length] as ParkingSite;
}

/** A bay of `site`: within 40 m of its middle. */
export function bayOf(site: ParkingSite, random: () => number): Location {
  return offset(site.eastKm + (random() - 0.5) * 0.08, site.northKm + (random() - 0.5) * 0.08);
}
