/**
 * Musterstadt, a fictional town in Saxony: centred on its market square, with
 * a river running west to east just north of the old town.
 */
export const TOWN_CENTRE = { lat: 51.05, lon: 13.74 } as const;

export interface Location {
  readonly lat: number;
  readonly lon: number;
}

const KM_PER_DEGREE = 111.2;
const cosLat = Math.cos((TOWN_CENTRE.lat * Math.PI) / 180);

/** The place `eastKm` east and `northKm` north of the centre (negative: west, south). */
export function offset(eastKm: number, northKm: number): Location {
  const round = (n: number) => Math.round(n * 1e5) / 1e5;
  return {
    lat: round(TOWN_CENTRE.lat + northKm / KM_PER_DEGREE),
    lon: round(TOWN_CENTRE.lon + eastKm / (KM_PER_DEGREE * cosLat)),
  };
}

/** A place between `minKm` and `maxKm` from the centre, uniform over the ring's area. */
export function placeAround(random: () => number, minKm: number, maxKm: number): Location {
  const r = Math.sqrt(minKm ** 2 + random() * (maxKm ** 2 - minKm ** 2));
  const angle = 2 * Math.PI * random();
  return offset(r * Math.cos(angle), r * Math.sin(angle));
}

/** The river's bank at `eastKm` east of the centre (negative: west). */
export function riverBank(eastKm: number): Location {
  return offset(eastKm, 0.6 + 0.35 * Math.sin(eastKm / 1.7));
}

/** The district a place lies in: the old town within 1.2 km, then by compass quarter. */
export function districtOf(location: Location): string {
  const north = (location.lat - TOWN_CENTRE.lat) * KM_PER_DEGREE;
  const east = (location.lon - TOWN_CENTRE.lon) * KM_PER_DEGREE * cosLat;
  if (Math.hypot(north, east) < 1.2) return "Altstadt";
  const degrees = (Math.atan2(north, east) * 180) / Math.PI;
  if (degrees >= 45 && degrees < 135) return "Neustadt";
  if (degrees >= -45 && degrees < 45) return "Ostvorstadt";
  if (degrees >= -135 && degrees < -45) return "Südvorstadt";
  return "Westend";
}
