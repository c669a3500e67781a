import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";

export interface CommandRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * `pnpm platform …` as an operator runs it, for the tests: a child process with
 * exactly `env`, its exit code, output and errors, whether it succeeded or not.
 */
export function runPlatform(args: readonly string[], env: Record<string, string | undefined>): Promise<CommandRun> {
  return promisify(execFile)(process.execPath, [join(import.meta.dirname, "main.ts"), ...args], { env }).then(
    (done) => ({ code: 0, ...done }),
    (failed: CommandRun) => failed,
  );
}
