import type { InfluxReadSettings, ObservationWriter } from "@stadtfluss/influx";
import type { GroupLease } from "@stadtfluss/kafka";
import type { PlatformDeclaration } from "@stadtfluss/registry";
import type { Logger, Worker } from "@stadtfluss/telemetry";
import cron, { type ScheduledTask } from "node-cron";
import { RunInterruptedError, type RunSettings, runAggregation } from "./aggregation-run.ts";
import type { AggregatorMetrics } from "./aggregator-metrics.ts";
import type { Resolution } from "./resolution.ts";

export interface ScheduledResolution {
  readonly resolution: Resolution;
  /** A node-cron expression, read in `timeZone`. */
  readonly schedule: string;
}

export interface AggregatorOptions {
  readonly lease: GroupLease;
  readonly declaration: () => PlatformDeclaration;
  readonly influx: Pick<InfluxReadSettings, "url" | "token">;
  readonly writer: ObservationWriter;
  readonly resolutions: readonly ScheduledResolution[];
  readonly timeZone: string;
  readonly run: RunSettings;
  readonly logger: Logger;
  readonly metrics: AggregatorMetrics;
  readonly now?: () => number;
}

export interface Aggregator extends Worker {
  /** Runs every resolution for every tenant now, if this replica holds the lease (tests, the first tick). */
  runAll(): Promise<void>;
}

/**
 * Rolls up each declared tenant's public data into its `open` database on the
 * resolutions' schedules, but only in the replica that holds the lease; within
 * a replica one run at a time. A failed run is logged and counted, and the next
 * tick starts where the marker says.
 */
export function createAggregator(options: AggregatorOptions): Aggregator {
  const { lease, logger, metrics } = options;
  const now = options.now ?? Date.now;
  const tasks: ScheduledTask[] = [];
  const stopping = new AbortController();
  let started = false;
  // One run at a time in this replica, whichever schedule fired.
  let queue: Promise<void> = Promise.resolve();
  const pending = new Set<string>();

  const runResolution = async (scheduled: ScheduledResolution) => {
    const { resolution } = scheduled;
    for (const tenant of options.declaration().tenants.map((t) => t.id)) {
      if (stopping.signal.aborted || !lease.isHeld()) return;
      const startedAt = now();
      const stopTimer = metrics.runSeconds.startTimer({ resolution: resolution.tag });
      try {
        const outcome = await runAggregation(
          {
            influx: options.influx,
            writer: options.writer,
            settings: options.run,
            mayWrite: () => lease.isHeld() && !stopping.signal.aborted,
            signal: stopping.signal,
          },
          tenant,
          resolution,
          startedAt,
        );
        metrics.runs.inc({ resolution: resolution.tag, outcome: "ok" });
        metrics.windows.inc({ resolution: resolution.tag }, outcome.windows);
        metrics.points.inc({ resolution: resolution.tag }, outcome.points);
        metrics.skippedWindows.inc({ resolution: resolution.tag }, outcome.skippedWindows);
        if (outcome.windows > 0) metrics.completedUntil.set({ tenant, resolution: resolution.tag }, outcome.to / 1_000);
        if (outcome.skippedWindows > 0) {
          logger.warn(
            { tenant, resolution: resolution.tag, skippedWindows: outcome.skippedWindows },
            "windows older than the catch-up left unaggregated",
          );
        }
        logger.info(
          {
            tenant,
            resolution: resolution.tag,
            from: new Date(outcome.from).toISOString(),
            to: new Date(outcome.to).toISOString(),
            windows: outcome.windows,
            points: outcome.points,
            startedAt,
            finishedAt: now(),
          },
          "aggregation run finished",
        );
      } catch (error) {
        const interrupted = error instanceof RunInterruptedError || stopping.signal.aborted;
        metrics.runs.inc({ resolution: resolution.tag, outcome: interrupted ? "interrupted" : "failed" });
        const fields = { tenant, resolution: resolution.tag, startedAt, finishedAt: now() };
        if (interrupted) logger.warn(fields, "aggregation run interrupted");
        else logger.error({ ...fields, err: error }, "aggregation run failed");
      } finally {
        stopTimer();
      }
    }
  };

  const enqueue = (scheduled: ScheduledResolution): Promise<void> => {
    const key = scheduled.resolution.tag;
    // A tick while the same resolution waits or runs adds nothing: that run covers it.
    if (pending.has(key)) return queue;
    pending.add(key);
    queue = queue
      .then(async () => {
        pending.delete(key);
        if (!stopping.signal.aborted && lease.isHeld()) await runResolution(scheduled);
      })
      .catch((error: unknown) => logger.error({ err: error, resolution: key }, "aggregation run failed"));
    return queue;
  };

  return {
    async start() {
      await lease.start();
      for (const scheduled of options.resolutions) {
        const task = cron.schedule(scheduled.schedule, () => enqueue(scheduled), {
          timezone: options.timeZone,
          name: `aggregate-${scheduled.resolution.tag}`,
          noOverlap: true,
        });
        tasks.push(task);
      }
      started = true;
      logger.info(
        {
          resolutions: options.resolutions.map((r) => ({ resolution: r.resolution.tag, schedule: r.schedule })),
          timeZone: options.timeZone,
        },
        "aggregation scheduled",
      );
    },
    async stop() {
      for (const task of tasks) await task.stop();
      stopping.abort();
      await queue;
      await lease.stop();
    },
    isReady: () => started,
    async runAll() {
      for (const scheduled of options.resolutions) await enqueue(scheduled);
    },
  };
}
