import { inspect } from "node:util";

const REDACTED = "[redacted]";

/**
 * Wraps a credential so that logging, JSON.stringify or string interpolation of a
 * config object never prints it; only `reveal()` hands the value to a client.
 */
export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  [inspect.custom](): string {
    return REDACTED;
  }
}
