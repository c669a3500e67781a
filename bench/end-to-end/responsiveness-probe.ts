import { percentile } from "./latency-probe.ts";

/** What the probe saw over one step or burst. */
export interface Responsiveness {
  /** Requests sent (one at a time, every `intervalMs`). */
  readonly requests: number;
  /** Slowest answer; a request that timed out counts as the deadline. */
  readonly maxMs: number;
  readonly p99Ms: number;
  /** Answers slower than one second, timeouts included. */
  readonly slowerThan1s: number;
  /** Requests without an answer within the deadline (or refused). */
  readonly timeouts: number;
  readonly deadlineMs: number;
}

/**
 * Asks a worker's `/metrics` every `intervalMs` throughout a step and records how
 * long each answer took: a worker whose event loop is blocked (a stall) answers
 * late or not at all. One request at a time, so a stall costs one timeout per
 * deadline rather than a pile of requests. The probe's latest answer also serves
 * the bench's own reading of the worker's metrics (`latest`), so the worker
 * renders its metrics no more often than it did without the probe.
 */
export class ResponsivenessProbe {
  readonly #url: string;
  readonly #intervalMs: number;
  readonly #deadlineMs: number;
  readonly #times: number[] = [];
  #timeouts = 0;
  #running = false;
  #loop: Promise<void> | undefined;
  /** The most recent /metrics text ("" before the first answer). */
  latest = "";

  constructor(url: string, options: { intervalMs?: number; deadlineMs?: number } = {}) {
    this.#url = url;
    this.#intervalMs = options.intervalMs ?? 250;
    this.#deadlineMs = options.deadlineMs ?? 5_000;
  }

  start(): void {
    this.#running = true;
    this.#loop = (async () => {
      while (this.#running) {
        const started = performance.now();
        await this.#ask();
        const wait = this.#intervalMs - (performance.now() - started);
        if (wait > 0 && this.#running) await new Promise((resolve) => setTimeout(resolve, wait));
      }
    })();
  }

  async stop(): Promise<Responsiveness> {
    this.#running = false;
    await this.#loop;
    return this.result();
  }

  result(): Responsiveness {
    const times = this.#times;
    return {
      requests: times.length,
      maxMs: Math.round(Math.max(0, ...times)),
      p99Ms: Math.round(percentile(times, 99) ?? 0),
      slowerThan1s: times.filter((t) => t > 1_000).length,
      timeouts: this.#timeouts,
      deadlineMs: this.#deadlineMs,
    };
  }

  async #ask(): Promise<void> {
    const started = performance.now();
    try {
      const response = await fetch(this.#url, { signal: AbortSignal.timeout(this.#deadlineMs) });
      const text = await response.text();
      this.#times.push(performance.now() - started);
      if (response.ok) this.latest = text;
    } catch {
      // Timed out, or refused (the worker is not listening): no answer either way.
      this.#timeouts++;
      this.#times.push(this.#deadlineMs);
    }
  }
}
