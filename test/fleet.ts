import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { repositoryRoot } from "@stadtfluss/testing";
import { parse } from "yaml";

/** The simulator's registry of a fleet (its `SIM_*` settings), written to a file for the normalizer. */
export function fleetRegistry(fleet: Record<string, string>) {
  const dir = mkdtempSync(join(tmpdir(), "sf-fleet-"));
  const registryFile = join(dir, "registry.yaml");
  const registry = execFileSync(process.execPath, [join(repositoryRoot(), "services/simulator/src/registry-file.ts")], {
    env: { PATH: process.env.PATH ?? "", ...fleet },
    encoding: "utf8",
  });
  writeFileSync(registryFile, registry);
  return {
    registryFile,
    devices: (parse(registry) as { devices: { id: string; district: string; site?: string; privacy: string }[] })
      .devices,
  };
}
