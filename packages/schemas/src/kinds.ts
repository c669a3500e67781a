/**
 * The quantities Stadtfluss knows. A kind is `<domain>.<quantity>`: the domain is
 * the InfluxDB measurement, the quantity its field, so one device's readings taken
 * at the same instant become one point. `unit` is the canonical UCUM unit every
 * observation of the kind carries after normalisation.
 */
export interface KindInfo {
  readonly unit: string;
  readonly description: string;
  /** A register that only rises (meter totals): never summed across time. */
  readonly cumulative?: true;
}

export const kinds = {
  "traffic.vehicle_count": { unit: "{vehicle}", description: "Vehicles counted in the interval" },
  "traffic.bicycle_count": { unit: "{bicycle}", description: "Bicycles counted in the interval" },
  "traffic.pedestrian_count": { unit: "{pedestrian}", description: "Pedestrians counted in the interval" },
  "traffic.average_speed": { unit: "km/h", description: "Mean speed of the vehicles counted" },
  "traffic.occupancy": { unit: "%", description: "Share of the interval the detector was occupied" },
  "energy.active_import": { unit: "kW.h", description: "Active energy imported, meter total", cumulative: true },
  "energy.active_export": { unit: "kW.h", description: "Active energy exported, meter total", cumulative: true },
  "energy.active_power": { unit: "kW", description: "Active power drawn (negative: fed in)" },
  "air.pm10": { unit: "ug/m3", description: "Particulate matter up to 10 µm" },
  "air.pm2_5": { unit: "ug/m3", description: "Particulate matter up to 2.5 µm" },
  "air.temperature": { unit: "Cel", description: "Air temperature" },
  "air.humidity": { unit: "%", description: "Relative humidity" },
  "air.pressure": { unit: "hPa", description: "Air pressure" },
} as const satisfies Record<string, KindInfo>;

export type Kind = keyof typeof kinds;

export function kindInfo(kind: string): KindInfo | undefined {
  return Object.hasOwn(kinds, kind) ? kinds[kind as Kind] : undefined;
}
