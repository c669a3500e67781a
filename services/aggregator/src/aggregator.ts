import type { InfluxReadSettings, ObservationWriter } from "@stadtfluss/influx";
import type { GroupLease } from "@stadtfluss/kafka";
import type { PlatformDeclaration } from "@stadtfluss/registry";
import type { Logger, Worker } from "@stadtfluss/telemetry";
import cron, { type ScheduledTask } from "node-cron";
import type { AggregateTopic } from "./aggregate-topic.ts";
import { RunInterruptedError, type RunOutcome, type RunSettings, runAggregation } from "./aggregation-run.ts";
import type { AggregatorMetrics } from "./aggregator-metrics.ts";
import { runPersonalAggregation } from "./energy-consumption.ts";
import type { DisclosureRules } from "./privacy/disclosure.ts";
import type { Resolution } from "./resolution.ts";
import type { RunData } from "./run-marker.ts";

export interface ScheduledResolution {
  readonly resolution: Resolution;
  /** A node-cron expression, read in `timeZone`. */
  readonly schedule: string;
  /** Household figures too, under the disclosure rules: at one resolution only (docs/open-data.md). */
  readonly personal?: boolean;
}

export interface AggregatorOptions {
  readonly lease: GroupLease;
  readonly declaration: () => PlatformDeclaration;
  readonly influx: Pick<InfluxReadSettings, "url" | "token">;
  readonly writer: ObservationWriter;
  readonly resolutions: readonly ScheduledResolution[];
  readonly timeZone: string;
  readonly run: RunSettings;
  readonly privacy: DisclosureRules;
  /** AGGREGATOR_TOPIC: the aggregates also as Kafka records. */
  readonly topic?: AggregateTopic;
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

  // node-cron's own messages (a missed tick under load) go to the JSON log, not the console.
  const cronLogger = {
    info: (message: string) => logger.debug({ cron: message }, "scheduler"),
    warn: (message: string) => logger.warn({ cron: message }, "scheduler warning"),
    error: (message: string | Error, err?: Error) => logger.error({ err: err ?? message }, "scheduler error"),
    debug: (message: string | Error) => logger.debug({ cron: String(message) }, "scheduler"),
  };

  const runOne = async (tenant: string, resolution: Resolution, data: RunData) => {
    const startedAt = now();
    const labels = { resolution: resolution.tag, data };
    const stopTimer = metrics.runSeconds.startTimer(labels);
    const context = {
      influx: options.influx,
      writer: options.writer,
      settings: options.run,
      mayWrite: () => lease.isHeld() && !stopping.signal.aborted,
      signal: stopping.signal,
      ...(options.topic ? { publish: options.topic.publish } : {}),
    };
    try {
      const outcome: RunOutcome & { readonly suppressed?: number } =
        data === "public"
          ? await runAggregation(context, tenant, resolution, startedAt)
          : await runPersonalAggregation(context, options.privacy, tenant, resolution, startedAt);
      const suppressed = outcome.suppressed ?? 0;
      metrics.runs.inc({ ...labels, outcome: "ok" });
      metrics.windows.inc(labels, outcome.windows);
      metrics.points.inc(labels, outcome.points);
      metrics.skippedWindows.inc(labels, outcome.skippedWindows);
      metrics.suppressedCells.inc({ resolution: resolution.tag }, suppressed);
      if (outcome.windows > 0) metrics.completedUntil.set({ tenant, ...labels }, outcome.to / 1_000);
      if (outcome.skippedWindows > 0) {
        logger.warn(
          { tenant, ...labels, skippedWindows: outcome.skippedWindows },
          "windows older than the catch-up left unaggregated",
        );
      }
      logger.info(
        {
          tenant,
          ...labels,
          from: new Date(outcome.from).toISOString(),
          to: new Date(outcome.to).toISOString(),
          windows: outcome.windows,
          points: outcome.points,
          ...(data === "personal" ? { suppressed } : {}),
          startedAt,
          finishedAt: now(),
        },
        "aggregation run finished",
      );
    } catch (error) {
      const interrupted = error instanceof RunInterruptedError || stopping.signal.aborted;
      metrics.runs.inc({ ...labels, outcome: interrupted ? "interrupted" : "failed" });
      const fields = { tenant, ...labels, startedAt, finishedAt: now() };
      if (interrupted) logger.warn(fields, "aggregation run interrupted");
      else logger.error({ ...fields, err: error }, "aggregation run failed");
    } finally {
      stopTimer();
    }
  };

  const runResolution = async (scheduled: ScheduledResolution) => {
    for (const tenant of options.declaration().tenants.map((t) => t.id)) {
      for (const data of scheduled.personal ? (["public", "personal"] as const) : (["public"] as const)) {
        if (stopping.signal.aborted || !lease.isHeld()) return;
        await runOne(tenant, scheduled.resolution, data);
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
      await options.topic?.start();
      await lease.start();
      for (const scheduled of options.resolutions) {
        const task = cron.schedule(scheduled.schedule, () => enqueue(scheduled), {
          timezone: options.timeZone,
          name: `aggregate-${scheduled.resolution.tag}`,
          noOverlap: true,
          logger: cronLogger,
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
      await options.topic?.stop();
    },
    isReady: () => started,
    async runAll() {
      for (const scheduled of options.resolutions) await enqueue(scheduled);
    },
  };
}
