import { excerpt, REASON_CHARS } from "./excerpt.ts";

export { EXCERPT_CHARS, excerpt, REASON_CHARS } from "./excerpt.ts";

/**
 * The one error base of Stadtfluss. Workers decide between retry and dead letter
 * from `retriable`, never from message text (kafkajs's KafkaJSError does the same).
 */
export class StadtflussError extends Error {
  readonly retriable: boolean;
  readonly context: Readonly<Record<string, unknown>>;

  constructor(
    message: string,
    options: { retriable?: boolean; context?: Record<string, unknown>; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.retriable = options.retriable ?? false;
    this.context = options.context ?? {};
  }
}

/** A payload that cannot be turned into observations: never retried. */
export class DecodeError extends StadtflussError {
  constructor(message: string, context: Record<string, unknown> = {}, cause?: unknown) {
    super(message, { retriable: false, context, cause });
  }
}

/** A setting that is missing or wrong; lists every problem at once. */
export class ConfigError extends StadtflussError {
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.problems = problems;
  }
}

/** A downstream system (Kafka, InfluxDB) did not accept work; trying again may help. */
export class UnavailableError extends StadtflussError {
  constructor(message: string, context: Record<string, unknown> = {}, cause?: unknown) {
    super(message, { retriable: true, context, cause });
  }
}

export function isRetriable(error: unknown): boolean {
  return error instanceof StadtflussError && error.retriable;
}

export function errorClass(error: unknown): string {
  return error instanceof Error ? error.name : typeof error;
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * An error's message as dead-letter headers and log lines carry it: bounded,
 * whatever input it quotes.
 */
export function reasonOf(error: unknown): string {
  return excerpt(errorMessage(error), REASON_CHARS);
}
