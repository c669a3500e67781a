import { dirname, join } from "node:path";
import { type RunningProcess, startProcess } from "./child-process.ts";
import { freePort } from "./free-port.ts";
import { metricSum } from "./metric-sum.ts";
import { repositoryRoot } from "./repository-root.ts";

export interface WorkerProcess extends RunningProcess {
  readonly opsUrl: string;
}

/**
 * Starts `services/<service>/src/main.ts` as its own Node process, the way it
 * runs in production, and waits until it logged "started".
 */
export async function startWorker(
  service: string,
  env: Record<string, string>,
  options: {
    waitForStart?: boolean;
    echo?: boolean;
    /** Runs this script (a deployed bundle) from its own folder instead of the service's sources. */
    script?: string;
  } = {},
): Promise<WorkerProcess> {
  const opsPort = await freePort();
  const running = startProcess(
    service,
    process.execPath,
    [options.script ?? join(repositoryRoot(), "services", service, "src/main.ts")],
    {
      ...(options.script ? { cwd: dirname(options.script) } : {}),
      env: {
        PATH: process.env.PATH ?? "",
        ...clockTooling(),
        LOG_LEVEL: "info",
        OPS_HOST: "127.0.0.1",
        OPS_PORT: String(opsPort),
        NODE_NO_WARNINGS: "1",
        ...env,
      },
      echo: options.echo ?? process.env.STADTFLUSS_ECHO_WORKERS === "1",
    },
  );
  if (options.waitForStart ?? true) await running.waitForLine(/"msg":"started"/, 60_000);
  return { ...running, opsUrl: `http://127.0.0.1:${opsPort}` };
}

/**
 * A suite run under `faketime` (docs/development.md) moves the workers' clocks too;
 * otherwise they would judge the test's readings by another clock than it wrote them with.
 */
function clockTooling(): Record<string, string> {
  return Object.fromEntries(
    Object.entries(process.env).filter(
      (entry): entry is [string, string] =>
        entry[1] !== undefined && /^(LD_PRELOAD|FAKETIME.*|DONT_FAKE_MONOTONIC)$/.test(entry[0]),
    ),
  );
}

/** A worker's metric summed over its labels; NaN while the worker does not answer. */
export async function workerMetric(worker: { readonly opsUrl: string }, name: string): Promise<number> {
  return fetch(`${worker.opsUrl}/metrics`).then(
    async (response) => metricSum(await response.text(), name),
    () => Number.NaN,
  );
}

/** The status `/readyz` answers (200 ready, 503 not); 0 while the worker does not answer. */
export async function readiness(worker: { readonly opsUrl: string }): Promise<number> {
  return fetch(`${worker.opsUrl}/readyz`).then(
    (response) => response.status,
    () => 0,
  );
}
