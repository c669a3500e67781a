import { existsSync } from "node:fs";
import { dirname, join } from "node:path";

/** The folder holding pnpm-workspace.yaml, found from this file. */
export function repositoryRoot(): string {
  let dir = import.meta.dirname;
  while (!existsSync(join(dir, "pnpm-workspace.yaml"))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error("pnpm-workspace.yaml not found above packages/testing");
    dir = parent;
  }
  return dir;
}
