import { type Logger, pino } from "pino";

export type { Logger };

/** `scheme://user:password@`: the user information of a URL, up to the host. */
const URL_CREDENTIALS = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#@"\\]+@/gi;

/**
 * JSON logs with a fixed message and the data in fields; credentials are redacted,
 * by field name and inside any URL a line holds (an error message may quote one).
 */
export function createLogger(service: string, level: string, destination?: pino.DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    level,
    base: { service },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    redact: {
      paths: ["password", "token", "*.password", "*.token", "*.authorization", "*.Authorization"],
      censor: "[redacted]",
    },
    hooks: { streamWrite: (line) => line.replace(URL_CREDENTIALS, "$1[redacted]@") },
  };
  return destination ? pino(options, destination) : pino(options);
}
