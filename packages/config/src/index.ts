export { formatDuration, parseDuration } from "./duration.ts";
export * as env from "./env-types.ts";
export { parseInstant } from "./instant.ts";
export { loadOrExit } from "./load-or-exit.ts";
export { type ParseEnvOptions, parseEnv } from "./parse-env.ts";
export { Secret } from "./secret.ts";
export { canonicalTimeZone } from "./time-zone.ts";
