import { parseEnv } from "@stadtfluss/config";
import type { z } from "zod";
import { type OpsSettings, type opsEnv, opsSettingsFrom } from "./run-service.ts";

/** What every worker's configuration ends with: what runService and the logger take. */
export interface ServiceSettings {
  readonly ops: OpsSettings;
  readonly logLevel: string;
  readonly shutdownDeadlineMs: number;
}

/**
 * A worker's configuration: the environment parsed with `schema` (which spreads
 * `opsEnv.shape`; every problem named at once, every `env.secret()` also as
 * `<NAME>_FILE`), its own settings from `settingsOf`, and the shared ones.
 */
export function loadServiceConfig<S extends z.ZodType<z.output<typeof opsEnv>>, T extends object>(
  schema: S,
  environment: Readonly<Record<string, string | undefined>>,
  settingsOf: (parsed: z.output<S>) => T,
): T & ServiceSettings {
  const parsed = parseEnv(schema, environment);
  return {
    ...settingsOf(parsed),
    ops: opsSettingsFrom(parsed),
    logLevel: parsed.LOG_LEVEL,
    shutdownDeadlineMs: parsed.SHUTDOWN_DEADLINE_MS,
  };
}
