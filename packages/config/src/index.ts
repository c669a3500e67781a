export * as env from "./env-types.ts";
export { loadOrExit } from "./load-or-exit.ts";
export { type ParseEnvOptions, parseEnv } from "./parse-env.ts";
export { Secret } from "./secret.ts";
