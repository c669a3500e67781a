import { ConfigError } from "@stadtfluss/errors";

/** EX_CONFIG from sysexits.h: process managers tell a bad setting from a crash. */
export const EXIT_CONFIG = 78;

/** For `main.ts`: a bad setting stops start-up with every problem named. */
export function loadOrExit<T>(service: string, load: () => T): T {
  try {
    return load();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${service}: ${error.message}\n`);
    process.exit(EXIT_CONFIG);
  }
}
