import { spawn } from "node:child_process";
import { join } from "node:path";
import type { WholeStageResult } from "../cpu/report.ts";

/**
 * The workers' whole-stage rows of `pnpm bench:cpu` as the e2e load runs them:
 * no registry (the load's devices are in none) and no gzip (INFLUX_GZIP is off by default).
 */
export const BOUND_STAGES = ["mqtt-bridge", "normalizer", "influx-writer"] as const;

/** Each worker's CPU-only bound, measured in the same run as the steps. */
export interface StageBounds {
  /** The core the measuring process was pinned to, or undefined without taskset. */
  readonly pinnedToCore: number | undefined;
  readonly timePerTaskMs: number;
  /** By worker (process name): messages/s one core carries on the worker's in-memory path. */
  readonly messagesPerSecondPerCore: Readonly<Record<string, number>>;
  readonly rows: readonly WholeStageResult[];
}

/**
 * Measures the bounds in a child process pinned to one core (as `pnpm bench:cpu`),
 * so that neither the pinning nor the measured code's heap reaches the harness.
 */
export async function measureStageBounds(timePerTaskMs: number): Promise<StageBounds> {
  const child = spawn(process.execPath, [join(import.meta.dirname, "stage-bounds-process.ts"), String(timePerTaskMs)], {
    stdio: ["ignore", "pipe", "inherit"],
    env: { ...process.env, NODE_NO_WARNINGS: "1" },
  });
  let output = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    output += chunk;
  });
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once("error", reject).once("close", resolve);
  });
  const line = output.split("\n").findLast((l) => l.startsWith("{"));
  if (code !== 0 || !line) throw new Error(`measuring the stage bounds failed (${code}):\n${output.slice(-2_000)}`);
  return JSON.parse(line) as StageBounds;
}
