import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { createPipelineMetrics } from "./metrics.ts";

/** Reads the loop's delay as a scrape does: one collection sets all of its gauges and starts afresh. */
async function lagMaxSeconds(metrics: ReturnType<typeof createPipelineMetrics>): Promise<number> {
  const all = await metrics.registry.getMetricsAsJSON();
  const max = all.find((metric) => metric.name === "stadtfluss_nodejs_eventloop_lag_max_seconds");
  return max?.values[0]?.value ?? 0;
}

describe("createPipelineMetrics", () => {
  it("still shows a stalled event loop at its coarser sampling of the loop's delay", async () => {
    const metrics = createPipelineMetrics("test");
    // The sampler's first tick only marks where it starts measuring from.
    await sleep(150);
    // A synchronous stall in a callback, as a long decode or a major collection makes one.
    await new Promise<void>((stalled) =>
      setImmediate(() => {
        const blockedUntil = performance.now() + 400;
        while (performance.now() < blockedUntil) {}
        stalled();
      }),
    );
    // The sampler's tick, overdue since the stall, runs before any later timer and records it.
    await sleep(1);
    expect(await lagMaxSeconds(metrics)).toBeGreaterThan(0.25);
  });
});
