import { Counter, Gauge, Histogram, type Registry } from "prom-client";

export interface AggregatorMetrics {
  readonly runs: Counter<"resolution" | "data" | "outcome">;
  readonly windows: Counter<"resolution" | "data">;
  readonly points: Counter<"resolution" | "data">;
  readonly skippedWindows: Counter<"resolution" | "data">;
  readonly suppressedCells: Counter<"resolution">;
  readonly runSeconds: Histogram<"resolution" | "data">;
  readonly leaseHeld: Gauge;
  readonly completedUntil: Gauge<"tenant" | "resolution" | "data">;
}

export function createAggregatorMetrics(registry: Registry): AggregatorMetrics {
  const registers = [registry];
  return {
    runs: new Counter({
      name: "stadtfluss_aggregator_runs_total",
      help: "Aggregation runs of one tenant, resolution and raw class, by outcome (ok, failed, interrupted)",
      labelNames: ["resolution", "data", "outcome"],
      registers,
    }),
    windows: new Counter({
      name: "stadtfluss_aggregator_windows_total",
      help: "Windows aggregated, counting every re-aggregation within the lateness",
      labelNames: ["resolution", "data"],
      registers,
    }),
    points: new Counter({
      name: "stadtfluss_aggregator_points_total",
      help: "Aggregate points written to the open databases",
      labelNames: ["resolution", "data"],
      registers,
    }),
    skippedWindows: new Counter({
      name: "stadtfluss_aggregator_skipped_windows_total",
      help: "Windows older than the catch-up that a downtime left unaggregated",
      labelNames: ["resolution", "data"],
      registers,
    }),
    suppressedCells: new Counter({
      name: "stadtfluss_aggregator_suppressed_cells_total",
      help: "Household figures published as suppressed (too few households, dominance, or secondary)",
      labelNames: ["resolution"],
      registers,
    }),
    runSeconds: new Histogram({
      name: "stadtfluss_aggregator_run_seconds",
      help: "Duration of an aggregation run",
      labelNames: ["resolution", "data"],
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
      registers,
    }),
    leaseHeld: new Gauge({
      name: "stadtfluss_aggregator_lease_held",
      help: "1 while this replica holds the lease and runs the aggregations, else 0",
      registers,
    }),
    completedUntil: new Gauge({
      name: "stadtfluss_aggregator_completed_until_seconds",
      help: "End of the last window aggregated (Unix time)",
      labelNames: ["tenant", "resolution", "data"],
      registers,
    }),
  };
}
