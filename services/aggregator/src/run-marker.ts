import { Point } from "@influxdata/influxdb-client";
import { type InfluxReadSettings, influxQL, quoteString, RUN_MARKER_MEASUREMENT } from "@stadtfluss/influx";

/** Which raw class a run aggregates: each has its own progress. */
export type RunData = "public" | "personal";

/** Kept in each tenant's `open` database beside the aggregates it describes: no local state. */
export const RUN_MARKER = RUN_MARKER_MEASUREMENT;

/**
 * The end of the last window aggregated at this resolution (the marker point's
 * time), or undefined before the first run. A selector without `GROUP BY time`
 * needs no time bound.
 */
export async function lastCompleted(
  settings: InfluxReadSettings,
  resolutionTag: string,
  data: RunData,
  signal?: AbortSignal,
): Promise<number | undefined> {
  const [series = []] = await influxQL(
    settings,
    `SELECT last("windows") FROM "${RUN_MARKER}" WHERE "resolution" = ${quoteString(resolutionTag)} AND "data" = ${quoteString(data)}`,
    signal ? { signal } : {},
  );
  const time = series[0]?.values[0]?.[0];
  return typeof time === "number" ? time : undefined;
}

/** Windows up to `until` are aggregated: one point per resolution and end, so rewriting it is harmless. */
export function completedPoint(resolutionTag: string, data: RunData, until: number, windows: number): Point {
  return new Point(RUN_MARKER)
    .tag("resolution", resolutionTag)
    .tag("data", data)
    .intField("windows", windows)
    .timestamp(new Date(until));
}
