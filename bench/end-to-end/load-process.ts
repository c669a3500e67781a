import { setTimeout as delay } from "node:timers/promises";
import { publishNumbered } from "@stadtfluss/testing";
import { type PayloadName, payloadOf } from "./payloads.ts";

/**
 * The shared load generator in its own process, so that publishing competes with
 * neither the measuring process nor the candidate. Reads its phases as JSON from
 * argv and writes one JSON line per second of progress, then one with the result.
 */
export interface LoadPlan {
  readonly url: string;
  readonly topicPrefix: string;
  readonly tenant: string;
  readonly devices: number;
  readonly connections: number;
  /** stadtfluss-json unless set. */
  readonly payload?: PayloadName;
  /** Run one after another; each device's seq continues across phases. */
  readonly phases: ReadonlyArray<{ readonly rate: number; readonly seconds: number }>;
  /**
   * Epoch ms to begin publishing at, the process started beforehand: its start-up
   * (a second of CPU, more than a core for a moment) then lies before the step
   * instead of in its first moments, where both candidates would pay for it.
   */
  readonly startAt?: number;
}

export interface LoadLine {
  readonly at: number;
  readonly published: number;
  readonly acknowledged: number;
  readonly phase: number;
  readonly done?: { readonly sent: number; readonly seconds: number; readonly phases: readonly PhaseResult[] };
}

export interface PhaseResult {
  readonly rate: number;
  readonly count: number;
  readonly startedAt: number;
  readonly endedAt: number;
  readonly acknowledged: number;
}

const write = (line: LoadLine) => process.stdout.write(`${JSON.stringify(line)}\n`);

async function main(): Promise<void> {
  const plan = JSON.parse(process.argv[2] ?? "{}") as LoadPlan;
  if (plan.startAt !== undefined) await delay(Math.max(0, plan.startAt - Date.now()));
  const results: PhaseResult[] = [];
  let before = 0;
  const started = Date.now();
  for (const [phase, { rate, seconds }] of plan.phases.entries()) {
    // Whole rounds over all devices, so that every device gets the same count.
    const count = Math.max(1, Math.round((rate * seconds) / plan.devices)) * plan.devices;
    const startedAt = Date.now();
    const base = before;
    const result = await publishNumbered({
      url: plan.url,
      topicPrefix: plan.topicPrefix,
      tenant: plan.tenant,
      devices: plan.devices,
      count,
      rate,
      connections: plan.connections,
      payload: payloadOf(plan.payload ?? "stadtfluss-json"),
      firstMessage: before,
      clientId: `bench-load-${process.pid}`,
      onProgress: ({ published, acknowledged }) =>
        write({ at: Date.now(), published: base + published, acknowledged: base + acknowledged, phase }),
    });
    results.push({ rate, count, startedAt, endedAt: Date.now(), acknowledged: result.acknowledged });
    before += count;
  }
  write({
    at: Date.now(),
    published: before,
    acknowledged: results.reduce((sum, r) => sum + r.acknowledged, 0),
    phase: plan.phases.length - 1,
    done: { sent: before, seconds: (Date.now() - started) / 1000, phases: results },
  });
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`load generator failed: ${String(error)}\n`);
    process.exit(1);
  },
);
