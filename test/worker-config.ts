import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { repositoryRoot } from "@stadtfluss/testing";

/** Services that are no part of a deployment, and why. */
export const NOT_DEPLOYED: Readonly<Record<string, string>> = {
  simulator: "it plays devices for tests and the local stack; a city's devices are real",
};

/** Every service with an entry point (`services/<name>/src/main.ts`) that a deployment runs. */
export function deployedServices(): string[] {
  const services = join(repositoryRoot(), "services");
  return readdirSync(services)
    .filter((name) => existsSync(join(services, name, "src", "main.ts")) && !(name in NOT_DEPLOYED))
    .sort();
}

/**
 * A container's environment as the worker would see it on this machine: each
 * mount's path in the values replaced by the folder that stands for it here, and
 * every file named below a stand-in folder created with a placeholder credential,
 * since secrets are read while the settings are checked.
 */
export function hostEnvironment(
  environment: Readonly<Record<string, string>>,
  mounts: ReadonlyArray<readonly [container: string, host: string]>,
): Record<string, string> {
  const longestFirst = [...mounts].sort(([a], [b]) => b.length - a.length);
  const result: Record<string, string> = {};
  for (const [name, value] of Object.entries(environment)) {
    let mapped = value;
    for (const [container, host] of longestFirst) mapped = mapped.split(container).join(host);
    result[name] = mapped;
  }
  return result;
}

const standIns: string[] = [];

/** A stand-in folder whose files are made on demand by `createNamedFiles`; gone after `removeStandIns`. */
export function standInFolder(): string {
  const folder = mkdtempSync(join(tmpdir(), "stadtfluss-deploy-"));
  standIns.push(folder);
  return folder;
}

export function removeStandIns(): void {
  for (const folder of standIns.splice(0)) rmSync(folder, { recursive: true, force: true });
}

/** Creates every file below `folder` that a value names, holding a `user:password` credential. */
export function createNamedFiles(environment: Readonly<Record<string, string>>, folder: string): void {
  const pattern = new RegExp(`${folder.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}/[^"'\\s,]+`, "g");
  for (const value of Object.values(environment))
    for (const [file] of value.matchAll(pattern)) {
      if (existsSync(file)) continue;
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, "stadtfluss:placeholder-password\n");
    }
}

type Loader = (environment: Readonly<Record<string, string | undefined>>) => unknown;

/**
 * The worker's own settings check over `environment`: its config schema and what
 * its `loadConfig` reads at start (the declaration, secret files). The audit runs
 * with `--declaration` in every deployment, so its declared form is checked.
 */
export async function loadWorkerConfig(
  service: string,
  environment: Readonly<Record<string, string>>,
): Promise<{ config?: unknown; problems: string[] }> {
  const module = (await import(join(repositoryRoot(), "services", service, "src", "config.ts"))) as Record<
    string,
    Loader
  >;
  const load = service === "audit" ? module.loadDeclaredConfig : module.loadConfig;
  if (!load) return { problems: [`services/${service}/src/config.ts has no loadConfig`] };
  try {
    return { config: load(environment), problems: [] };
  } catch (error) {
    const problems = (error as { problems?: unknown }).problems;
    if (Array.isArray(problems)) return { problems: problems.map(String) };
    throw error;
  }
}
