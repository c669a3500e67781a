import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import type { Logger } from "@stadtfluss/telemetry";
import type { DeviceRegistry } from "./device-registry.ts";
import { type LoadedRegistry, loadRegistry, RegistryError } from "./load-registry.ts";
import type { PlatformDeclaration } from "./platform-declaration.ts";
import { registryFiles } from "./registry-files.ts";
import type { RegistryMetrics } from "./registry-metrics.ts";

export type ReloadOutcome = "unchanged" | "ok" | "rejected";

export interface RegistryWatcher {
  /** The registry in force: the last one that loaded without a problem. */
  current(): DeviceRegistry;
  /** The tenants and readers declared by that same registry. */
  declaration(): PlatformDeclaration;
  /** Looks at the files now (what every poll does): reloads when their content changed. */
  reload(): ReloadOutcome;
  stop(): void;
}

export interface WatchRegistryOptions {
  readonly path: string;
  /** What start-up loaded, so that a broken registry stops the worker before it runs. */
  readonly initial: LoadedRegistry;
  readonly intervalMs: number;
  readonly logger: Logger;
  readonly metrics?: RegistryMetrics;
}

/**
 * Hot reload by polling a content hash rather than by file events: a Kubernetes
 * ConfigMap update swaps a symlink, which inotify on the files never reports.
 * A broken change is logged with all its problems once and refused; the last
 * good registry stays in force until the files are fixed.
 */
export function watchRegistry(options: WatchRegistryOptions): RegistryWatcher {
  const { path, logger, metrics } = options;
  let registry = options.initial.registry;
  let declaration: PlatformDeclaration = options.initial;
  let codecFiles = options.initial.codecFiles;
  let seen = fingerprint(path, codecFiles);
  metrics?.devices.set(registry.size);

  const reload = (): ReloadOutcome => {
    const now = fingerprint(path, codecFiles);
    if (now === seen) return "unchanged";
    seen = now;
    try {
      const loaded = loadRegistry(path);
      registry = loaded.registry;
      declaration = loaded;
      codecFiles = loaded.codecFiles;
      metrics?.reloads.inc({ outcome: "ok" });
      metrics?.devices.set(registry.size);
      logger.info({ path, devices: registry.size }, "device registry reloaded");
      return "ok";
    } catch (error) {
      if (error instanceof RegistryError) codecFiles = [...new Set([...codecFiles, ...error.codecFiles])];
      const problems = error instanceof RegistryError ? error.problems : [(error as Error).message];
      metrics?.reloads.inc({ outcome: "rejected" });
      logger.error({ path, problems, devices: registry.size }, "device registry change rejected, last good one kept");
      return "rejected";
    }
  };

  const timer = setInterval(reload, options.intervalMs);
  // The registry never keeps the worker alive on its own.
  timer.unref();

  return {
    current: () => registry,
    declaration: () => declaration,
    reload,
    stop: () => clearInterval(timer),
  };
}

/** Over the YAML files found now and the codec files last named; a missing file counts as such. */
function fingerprint(path: string, codecFiles: readonly string[]): string {
  const hash = createHash("sha256");
  let files: string[] = [];
  try {
    files = registryFiles(path);
  } catch {
    hash.update("\u0000unreadable\u0000");
  }
  for (const file of [...files, ...codecFiles]) {
    hash.update(file).update("\u0000");
    try {
      hash.update(readFileSync(file));
    } catch {
      hash.update("\u0000missing");
    }
    hash.update("\u0000");
  }
  return hash.digest("hex");
}
