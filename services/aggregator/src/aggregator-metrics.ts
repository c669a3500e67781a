import { Counter, Gauge, Histogram, type Registry } from "prom-client";

export interface AggregatorMetrics {
  readonly runs: Counter<"resolution" | "outcome">;
  readonly windows: Counter<"resolution">;
  readonly points: Counter<"resolution">;
  readonly skippedWindows: Counter<"resolution">;
  readonly runSeconds: Histogram<"resolution">;
  readonly leaseHeld: Gauge;
  readonly completedUntil: Gauge<"tenant" | "resolution">;
}

export function createAggregatorMetrics(registry: Registry): AggregatorMetrics {
  const registers = [registry];
  return {
    runs: new Counter({
      name: "stadtfluss_aggregator_runs_total",
      help: "Aggregation runs of one tenant and resolution, by outcome (ok, failed, interrupted)",
      labelNames: ["resolution", "outcome"],
      registers,
    }),
    windows: new Counter({
      name: "stadtfluss_aggregator_windows_total",
      help: "Windows aggregated, counting every re-aggregation within the lateness",
      labelNames: ["resolution"],
      registers,
    }),
    points: new Counter({
      name: "stadtfluss_aggregator_points_total",
      help: "Aggregate points written to the open databases",
      labelNames: ["resolution"],
      registers,
    }),
    skippedWindows: new Counter({
      name: "stadtfluss_aggregator_skipped_windows_total",
      help: "Windows older than the catch-up that a downtime left unaggregated",
      labelNames: ["resolution"],
      registers,
    }),
    runSeconds: new Histogram({
      name: "stadtfluss_aggregator_run_seconds",
      help: "Duration of an aggregation run",
      labelNames: ["resolution"],
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
      labelNames: ["tenant", "resolution"],
      registers,
    }),
  };
}
