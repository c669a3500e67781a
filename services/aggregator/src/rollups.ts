import { measurementOf, quantityOf, quoteIdentifier } from "@stadtfluss/influx";
import type { Kind } from "@stadtfluss/schemas";
import type { Aggregate } from "./aggregate.ts";
import type { Resolution } from "./resolution.ts";

/** What a window's readings of one quantity become. */
export type Statistic = "sum" | "mean" | "min" | "max" | "percentile" | "percent";

/** Per device (with its district as a tag), or per district over all its devices. */
export type Scope = "device" | "district";

export interface Rollup {
  readonly kind: Kind;
  readonly statistics: readonly Statistic[];
  readonly scopes: readonly Scope[];
}

const STATS = ["mean", "min", "max", "percentile"] as const;
const LEVELS = ["mean", "min", "max"] as const;

/**
 * What is published of public data, per kind of the catalogue. Counts are summed
 * (a mean of counts would depend on the reporting interval), speeds and air
 * values get a high percentile beside mean, min and max where peaks matter
 * (exceedances), parking occupancy (a space's 0 or 1) becomes percent per district.
 */
export const rollups: readonly Rollup[] = [
  { kind: "traffic.vehicle_count", statistics: ["sum"], scopes: ["device", "district"] },
  { kind: "traffic.bicycle_count", statistics: ["sum"], scopes: ["device", "district"] },
  { kind: "traffic.pedestrian_count", statistics: ["sum"], scopes: ["device", "district"] },
  { kind: "traffic.average_speed", statistics: STATS, scopes: ["device"] },
  { kind: "traffic.occupancy", statistics: ["mean", "max"], scopes: ["device"] },
  { kind: "parking.occupied", statistics: ["percent"], scopes: ["district"] },
  { kind: "air.pm1", statistics: STATS, scopes: ["device"] },
  { kind: "air.pm2_5", statistics: STATS, scopes: ["device"] },
  { kind: "air.pm4", statistics: STATS, scopes: ["device"] },
  { kind: "air.pm10", statistics: STATS, scopes: ["device"] },
  { kind: "air.no2", statistics: STATS, scopes: ["device"] },
  { kind: "air.co2", statistics: STATS, scopes: ["device"] },
  { kind: "air.noise", statistics: STATS, scopes: ["device"] },
  { kind: "air.wind_speed", statistics: STATS, scopes: ["device"] },
  { kind: "air.temperature", statistics: LEVELS, scopes: ["device"] },
  { kind: "air.humidity", statistics: LEVELS, scopes: ["device"] },
  { kind: "air.pressure", statistics: LEVELS, scopes: ["device"] },
  { kind: "water.level", statistics: LEVELS, scopes: ["device"] },
];

/**
 * Kinds deliberately not rolled up (yet), and why: a new kind in the catalogue
 * must be placed in one list or the other (rollups.test.ts).
 */
export const notRolledUp: Readonly<Partial<Record<Kind, string>>> = {
  "energy.active_import":
    "personal data: published as consumption per district under the disclosure rules (energy-consumption.ts)",
  "energy.active_import_t1": "cumulative register (personal data)",
  "energy.active_import_t2": "cumulative register (personal data)",
  "energy.active_export": "cumulative register (personal data)",
  "energy.active_export_t1": "cumulative register (personal data)",
  "energy.active_export_t2": "cumulative register (personal data)",
  "energy.active_power": "household meter reading (personal data)",
  "energy.active_power_l1": "household meter reading (personal data)",
  "energy.active_power_l2": "household meter reading (personal data)",
  "energy.active_power_l3": "household meter reading (personal data)",
  "energy.voltage_l1": "household meter reading (personal data)",
  "energy.voltage_l2": "household meter reading (personal data)",
  "energy.voltage_l3": "household meter reading (personal data)",
  "energy.current_l1": "household meter reading (personal data)",
  "energy.current_l2": "household meter reading (personal data)",
  "energy.current_l3": "household meter reading (personal data)",
  "energy.voltage": "household meter reading (personal data)",
  "energy.current": "household meter reading (personal data)",
  "energy.frequency": "household meter reading (personal data)",
  "energy.power_factor": "household meter reading (personal data)",
  "energy.voltage_sags_l1": "household meter reading (personal data)",
  "energy.voltage_sags_l2": "household meter reading (personal data)",
  "energy.voltage_sags_l3": "household meter reading (personal data)",
  "energy.voltage_swells_l1": "household meter reading (personal data)",
  "energy.voltage_swells_l2": "household meter reading (personal data)",
  "energy.voltage_swells_l3": "household meter reading (personal data)",
  "energy.power_failures": "household meter reading (personal data)",
  "energy.long_power_failures": "household meter reading (personal data)",
  "energy.power_failure_log_entries": "household meter reading (personal data)",
  "energy.last_power_failure_duration": "household meter reading (personal data)",
  "gas.volume": "cumulative register (personal data)",
  "water.volume": "cumulative register (personal data)",
  "heat.energy": "cumulative register (personal data)",
  "device.battery_voltage": "the sensor's own state, for operations",
  "device.battery": "the sensor's own state, for operations",
  "radio.rssi": "radio link quality, for operations",
  "radio.snr": "radio link quality, for operations",
};

/** The field an aggregate is stored in: `vehicle_count_sum`, `pm10_p95`, `occupied_percent`. */
export function aggregateField(kind: string, statistic: Statistic, percentile: number): string {
  return `${quantityOf(kind)}_${statistic === "percentile" ? `p${percentile}` : statistic}`;
}

/** One InfluxQL statement: every roll-up of one measurement in one scope. */
export interface RollupQuery {
  readonly measurement: string;
  readonly scope: Scope;
  readonly fields: readonly string[];
  readonly statement: string;
}

function selection(rollup: Rollup, statistic: Statistic, percentile: number): string {
  const field = quoteIdentifier(quantityOf(rollup.kind));
  const alias = quoteIdentifier(aggregateField(rollup.kind, statistic, percentile));
  switch (statistic) {
    case "percentile":
      return `percentile(${field}, ${percentile}) AS ${alias}`;
    case "percent":
      return `mean(${field}) * 100 AS ${alias}`;
    default:
      return `${statistic}(${field}) AS ${alias}`;
  }
}

/**
 * The statements for windows from `from` to `to` (both window starts): bounded on
 * both sides (InfluxDB 1.x fills every empty window since 1970 without a lower
 * bound), `fill(none)` so that a window without readings yields no aggregate, and
 * `tz(...)` so that days start at the city's midnight, daylight saving included.
 */
export function rollupQueries(
  resolution: Resolution,
  from: number,
  to: number,
  percentile: number,
  catalogue: readonly Rollup[] = rollups,
): RollupQuery[] {
  const groups = new Map<string, { measurement: string; scope: Scope; members: Rollup[] }>();
  for (const rollup of catalogue) {
    for (const scope of rollup.scopes) {
      const measurement = measurementOf(rollup.kind);
      const key = `${measurement}\u0000${scope}`;
      const group = groups.get(key) ?? { measurement, scope, members: [] };
      group.members.push(rollup);
      groups.set(key, group);
    }
  }
  const tz = resolution.zone === undefined ? "" : ` tz('${resolution.zone}')`;
  return [...groups.values()].map(({ measurement, scope, members }) => {
    const pairs = members.flatMap((rollup) => rollup.statistics.map((statistic) => ({ rollup, statistic })));
    const tags = scope === "device" ? `"device", "district"` : `"district"`;
    const statement =
      `SELECT ${pairs.map(({ rollup, statistic }) => selection(rollup, statistic, percentile)).join(", ")}` +
      ` FROM ${quoteIdentifier(measurement)} WHERE time >= ${from}ms AND time < ${to}ms` +
      ` GROUP BY time(${resolution.interval}), ${tags} fill(none)${tz}`;
    const fields = pairs.map(({ rollup, statistic }) => aggregateField(rollup.kind, statistic, percentile));
    return { measurement, scope, fields, statement };
  });
}

/**
 * An answer row as an aggregate: the window's start as its time and fixed tags
 * (resolution, scope, device and district), so that aggregating a window again
 * replaces its points. Undefined when the row has no value at all, or lacks the
 * device or district its scope is keyed by.
 */
export function aggregateOf(
  query: RollupQuery,
  resolution: Resolution,
  row: Readonly<Record<string, unknown>>,
): Aggregate | undefined {
  const district = typeof row.district === "string" && row.district !== "" ? row.district : undefined;
  const device = typeof row.device === "string" && row.device !== "" ? row.device : undefined;
  if (query.scope === "district" && district === undefined) return undefined;
  if (query.scope === "device" && device === undefined) return undefined;
  const fields: Record<string, number> = {};
  for (const field of query.fields) {
    const value = row[field];
    if (typeof value === "number" && Number.isFinite(value)) fields[field] = value;
  }
  if (Object.keys(fields).length === 0) return undefined;
  return {
    measurement: query.measurement,
    tags: {
      resolution: resolution.tag,
      scope: query.scope,
      ...(query.scope === "device" && device !== undefined ? { device } : {}),
      ...(district === undefined ? {} : { district }),
    },
    fields,
    time: Number(row.time),
  };
}
