import { type InfluxReadSettings, influxQL, seriesRows } from "@stadtfluss/influx";
import { databaseName } from "@stadtfluss/registry";
import { type Aggregate, pointOf } from "./aggregate.ts";
import { type RunContext, RunInterruptedError, type RunOutcome, write } from "./aggregation-run.ts";
import { type DisclosureRules, type DistrictCell, type ProtectedCell, protectTable } from "./privacy/disclosure.ts";
import type { Resolution } from "./resolution.ts";
import { windowsBetween } from "./resolution.ts";
import { completedPoint, lastCompleted } from "./run-marker.ts";

/** Imported active energy, the meter total (OBIS 1.8.0): a cumulative register. */
const REGISTER = "active_import";

/**
 * Each household's consumption per window: the difference between its register's
 * last reading in the window and its last reading in the window before. A window
 * whose neighbour has no reading, or whose register went down (a meter replaced),
 * yields nothing for that household rather than a guess. A household counts
 * where its district tag puts it; one without a district counts nowhere.
 */
export function householdConsumption(
  rows: ReadonlyArray<Readonly<Record<string, unknown>>>,
  resolution: Resolution,
  from: number,
): Map<number, Map<string, number[]>> {
  const byDevice = new Map<string, { time: number; district?: string; register: number }[]>();
  for (const row of rows) {
    if (typeof row.device !== "string" || typeof row.register !== "number" || typeof row.time !== "number") continue;
    const readings = byDevice.get(row.device) ?? [];
    readings.push({
      time: row.time,
      register: row.register,
      ...(typeof row.district === "string" && row.district !== "" ? { district: row.district } : {}),
    });
    byDevice.set(row.device, readings);
  }
  const windows = new Map<number, Map<string, number[]>>();
  for (const readings of byDevice.values()) {
    readings.sort((a, b) => a.time - b.time);
    for (let i = 1; i < readings.length; i++) {
      const [before, reading] = [readings[i - 1], readings[i]];
      if (!before || !reading || reading.time < from || reading.district === undefined) continue;
      if (resolution.nextWindow(before.time) !== reading.time || reading.register < before.register) continue;
      const districts = windows.get(reading.time) ?? new Map<string, number[]>();
      districts.set(reading.district, [...(districts.get(reading.district) ?? []), reading.register - before.register]);
      windows.set(reading.time, districts);
    }
  }
  return windows;
}

/** The districts' cells and the tenant's total: a suppressed cell says so and carries no figure. */
function consumptionAggregates(
  resolution: Resolution,
  window: number,
  cells: readonly DistrictCell[],
  rules: DisclosureRules,
): { readonly aggregates: Aggregate[]; readonly suppressed: number } {
  const table = protectTable(cells, rules);
  const aggregate = (scope: "district" | "tenant", cell: ProtectedCell, district?: string): Aggregate => ({
    measurement: "energy",
    tags: { resolution: resolution.tag, scope, ...(district === undefined ? {} : { district }) },
    fields: cell.suppressed
      ? { suppressed: true }
      : { suppressed: false, consumption_kwh: cell.value, households: cell.households },
    integerFields: ["households"],
    time: window,
  });
  const all = [...table.districts.values(), table.total];
  return {
    aggregates: [
      ...[...table.districts].map(([district, cell]) => aggregate("district", cell, district)),
      aggregate("tenant", table.total),
    ],
    suppressed: all.filter((cell) => cell.suppressed).length,
  };
}

/**
 * Energy consumption per district from the household meters in `<tenant>_personal`,
 * under the disclosure rules. A window is aggregated only once it ended more than
 * the lateness ago, and never again: a revised figure could reveal the households
 * that came late. Resumed from its own marker.
 */
export async function runPersonalAggregation(
  context: RunContext,
  rules: DisclosureRules,
  tenant: string,
  resolution: Resolution,
  now: number,
): Promise<RunOutcome & { readonly suppressed: number }> {
  const { settings, signal } = context;
  const source: InfluxReadSettings = { ...context.influx, database: databaseName(tenant, "personal") };
  const target = { ...context.influx, database: databaseName(tenant, "open") };
  const to = resolution.windowStart(now - settings.latenessMs);
  const earliest = resolution.windowStart(now - settings.catchUpMs);
  const marker = await lastCompleted(target, resolution.tag, "personal", signal);
  const from = Math.min(Math.max(earliest, marker ?? earliest), Math.max(to, earliest));
  const skippedWindows =
    marker !== undefined && marker < earliest ? windowsBetween(resolution, marker, earliest).length : 0;
  const windows = windowsBetween(resolution, from, to);
  let points = 0;
  let suppressed = 0;
  const tz = resolution.zone === undefined ? "" : ` tz('${resolution.zone}')`;
  for (let i = 0; i < windows.length; i += settings.windowsPerStep) {
    const stepWindows = windows.slice(i, i + settings.windowsPerStep);
    const stepFrom = stepWindows[0] as number;
    const stepTo = windows[i + settings.windowsPerStep] ?? to;
    const statement =
      `SELECT last("${REGISTER}") AS "register" FROM "energy"` +
      ` WHERE time >= ${resolution.previousWindow(stepFrom)}ms AND time < ${stepTo}ms` +
      ` GROUP BY time(${resolution.interval}), "device", "district" fill(none)${tz}`;
    const [series = []] = await influxQL(source, statement, { signal });
    const rows = seriesRows(series);
    const consumption = householdConsumption(rows, resolution, stepFrom);
    // Every district that has households in the step gets a cell in every window, suppressed where it must.
    const districts = [
      ...new Set(rows.map((row) => row.district).filter((d): d is string => typeof d === "string" && d !== "")),
    ].sort();
    const aggregates: Aggregate[] = [];
    for (const window of districts.length === 0 ? [] : stepWindows) {
      const cells = districts.map((district) => ({
        district,
        contributions: consumption.get(window)?.get(district) ?? [],
      }));
      const table = consumptionAggregates(resolution, window, cells, rules);
      aggregates.push(...table.aggregates);
      suppressed += table.suppressed;
    }
    if (!context.mayWrite() || signal.aborted) throw new RunInterruptedError();
    await write(context.writer, target.database, aggregates.map(pointOf));
    if (!context.mayWrite() || signal.aborted) throw new RunInterruptedError();
    await context.publish?.(tenant, aggregates);
    points += aggregates.length;
    if (!context.mayWrite() || signal.aborted) throw new RunInterruptedError();
    await write(context.writer, target.database, [completedPoint(resolution.tag, "personal", stepTo, windows.length)]);
  }
  return { from, to: Math.max(from, to), windows: windows.length, points, skippedWindows, suppressed };
}
