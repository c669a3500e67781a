import type { Point } from "@influxdata/influxdb-client";
import { StadtflussError } from "@stadtfluss/errors";
import { type InfluxReadSettings, influxQL, type ObservationWriter, seriesRows } from "@stadtfluss/influx";
import { databaseName } from "@stadtfluss/registry";
import { type Aggregate, pointOf } from "./aggregate.ts";
import type { Resolution } from "./resolution.ts";
import { windowsBetween } from "./resolution.ts";
import { aggregateOf, rollupQueries } from "./rollups.ts";
import { completedPoint, lastCompleted } from "./run-marker.ts";

export interface RunSettings {
  /** Windows ending this recently are aggregated again, for readings that arrive late. */
  readonly latenessMs: number;
  /** How far back a first run, or a catch-up after downtime, goes. */
  readonly catchUpMs: number;
  readonly percentile: number;
  /** Windows per query and write: bounds a step's memory and how long it holds on after losing the lease. */
  readonly windowsPerStep: number;
}

export interface RunContext {
  readonly influx: Pick<InfluxReadSettings, "url" | "token">;
  readonly writer: ObservationWriter;
  readonly settings: RunSettings;
  /** Hands a step's aggregates on after InfluxDB stored them (AGGREGATOR_TOPIC); resolves once stored. */
  readonly publish?: (tenant: string, aggregates: readonly Aggregate[]) => Promise<void>;
  /** Checked before every write: a run stops between steps once it is false. */
  readonly mayWrite: () => boolean;
  readonly signal: AbortSignal;
}

export interface RunOutcome {
  readonly from: number;
  readonly to: number;
  readonly windows: number;
  readonly points: number;
  /** The windows before `from` that a downtime longer than the catch-up left out. */
  readonly skippedWindows: number;
}

/** A run stopped because the lease was lost or the worker stops; what it wrote stays valid. */
export class RunInterruptedError extends StadtflussError {
  constructor() {
    super("aggregation run interrupted", { retriable: true });
  }
}

/**
 * Aggregates one tenant's public data at one resolution: every window completed
 * since the last run (caught up after downtime, at most `catchUpMs` back), and
 * again every window within the lateness. Each step writes its windows'
 * aggregates, then moves the marker, so an interrupted run is resumed by the next
 * one and a window aggregated twice gives the same points.
 */
export async function runAggregation(
  context: RunContext,
  tenant: string,
  resolution: Resolution,
  now: number,
): Promise<RunOutcome> {
  const { settings, signal } = context;
  const source = { ...context.influx, database: databaseName(tenant, "public") };
  const target = { ...context.influx, database: databaseName(tenant, "open") };
  const to = resolution.windowStart(now);
  const earliest = resolution.windowStart(now - settings.catchUpMs);
  const late = resolution.windowStart(now - settings.latenessMs);
  const marker = await lastCompleted(target, resolution.tag, "public", signal);
  const resumeAt = marker === undefined ? earliest : Math.min(marker, late);
  const from = Math.max(earliest, Math.min(resumeAt, to));
  const skippedWindows =
    marker !== undefined && marker < earliest ? windowsBetween(resolution, marker, earliest).length : 0;

  const windows = windowsBetween(resolution, from, to);
  let points = 0;
  for (let i = 0; i < windows.length; i += settings.windowsPerStep) {
    const stepFrom = windows[i] as number;
    const stepTo = windows[i + settings.windowsPerStep] ?? to;
    const aggregates: Aggregate[] = [];
    for (const query of rollupQueries(resolution, stepFrom, stepTo, settings.percentile)) {
      const [series = []] = await influxQL(source, query.statement, { signal });
      for (const row of seriesRows(series)) {
        const aggregate = aggregateOf(query, resolution, row);
        if (aggregate) aggregates.push(aggregate);
      }
    }
    if (!context.mayWrite() || signal.aborted) throw new RunInterruptedError();
    await write(context.writer, target.database, aggregates.map(pointOf));
    if (!context.mayWrite() || signal.aborted) throw new RunInterruptedError();
    await context.publish?.(tenant, aggregates);
    points += aggregates.length;
    // Never back: a re-aggregation of late windows leaves the marker where it was.
    const until = Math.max(stepTo, marker ?? stepTo);
    if (!context.mayWrite() || signal.aborted) throw new RunInterruptedError();
    await write(context.writer, target.database, [completedPoint(resolution.tag, "public", until, windows.length)]);
  }
  return { from, to, windows: windows.length, points, skippedWindows };
}

export async function write(writer: ObservationWriter, database: string, points: readonly Point[]): Promise<void> {
  for (let i = 0; i < points.length; i += 5_000) {
    const outcome = await writer.writeRouted(points.slice(i, i + 5_000).map((point) => ({ database, point })));
    const refused = outcome.rejected[0];
    if (refused) {
      throw new StadtflussError(`InfluxDB refused ${outcome.rejected.length} aggregate points`, {
        context: { database, reason: refused.error.message },
      });
    }
  }
}
