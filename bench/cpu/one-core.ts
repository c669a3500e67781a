import { spawnSync } from "node:child_process";
import { cpus } from "node:os";

const PINNED = "STADTFLUSS_BENCH_PINNED_CORE";

/**
 * The core this process is pinned to, after re-running itself under `taskset`
 * where there is one (Linux), so that the garbage collector's helper threads
 * share the core with the code measured and a stage's cost is one core's work.
 * Returns undefined without taskset; in the parent, exits with the child's code.
 */
export function pinToOneCore(): number | undefined {
  const pinned = process.env[PINNED];
  if (pinned !== undefined) return Number(pinned);
  if (process.platform !== "linux" || spawnSync("taskset", ["-V"]).error) return undefined;
  // The last core: the first usually takes the interrupts.
  const core = cpus().length - 1;
  const child = spawnSync(
    "taskset",
    ["-c", String(core), process.execPath, ...process.execArgv, ...process.argv.slice(1)],
    { stdio: "inherit", env: { ...process.env, [PINNED]: String(core) } },
  );
  process.exit(child.status ?? 1);
}
