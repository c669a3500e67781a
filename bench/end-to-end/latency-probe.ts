import { influxQL, quoteString } from "@stadtfluss/influx";

export interface LatencySample {
  /** Publish time of the point (its InfluxDB time). */
  readonly publishedAt: number;
  /** The first poll that saw it: queryable no later than this. */
  readonly seenAt: number;
}

/**
 * Publish-to-queryable latency. InfluxDB stores no arrival time, so a probe asks
 * every `intervalMs` which new points of a few sampled devices have become
 * queryable; a point's latency is the time of the first poll that returned it
 * minus its own time (the publish time the load generator put into the payload).
 * The resolution is the poll interval; polling a sample of devices keeps the
 * probe's own load on InfluxDB small.
 */
export class LatencyProbe {
  readonly #url: string;
  readonly #database: string;
  readonly #query: (cursor: number) => string;
  readonly #seen = new Map<string, { newestSeq: number; newestTime: number; seqs: Set<number> }>();
  readonly samples: LatencySample[] = [];
  #running = false;
  #loop: Promise<void> | undefined;
  #cursor: number;

  constructor(options: {
    url: string;
    database: string;
    tenant: string;
    devices: readonly string[];
    since: number;
  }) {
    this.#url = options.url;
    this.#database = options.database;
    this.#cursor = options.since;
    const names = options.devices.map((d) => d.replace(/[^A-Za-z0-9-]/g, "")).join("|");
    this.#query = (cursor) =>
      `SELECT "seq" FROM "traffic" WHERE "tenant" = ${quoteString(options.tenant)} AND "device" =~ /^(${names})$/ AND time > ${cursor}ms GROUP BY "device"`;
  }

  start(intervalMs = 50): void {
    this.#running = true;
    this.#loop = (async () => {
      while (this.#running) {
        const started = Date.now();
        await this.poll().catch(() => undefined);
        const wait = intervalMs - (Date.now() - started);
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      }
    })();
  }

  async stop(): Promise<void> {
    this.#running = false;
    await this.#loop;
  }

  async poll(): Promise<void> {
    const seenAt = Date.now();
    const [series = []] = await influxQL({ url: this.#url, database: this.#database }, this.#query(this.#cursor));
    for (const s of series) {
      const device = s.tags?.device ?? "";
      let state = this.#seen.get(device);
      if (!state) {
        state = { newestSeq: -1, newestTime: 0, seqs: new Set() };
        this.#seen.set(device, state);
      }
      for (const [time, seq] of s.values as Array<[number, number]>) {
        if (state.seqs.has(seq)) continue;
        state.seqs.add(seq);
        this.samples.push({ publishedAt: time, seenAt });
        if (seq > state.newestSeq) {
          state.newestSeq = seq;
          state.newestTime = time;
        }
      }
    }
    // Look back a little behind the slowest device: points of one device arrive in order.
    const newest = [...this.#seen.values()].map((s) => s.newestTime);
    if (newest.length > 0) this.#cursor = Math.max(this.#cursor, Math.min(...newest) - 2_000);
  }

  /** The mean over sampled devices of the newest seq already queryable (−1: none yet). */
  newestSeq(): number {
    const states = [...this.#seen.values()];
    if (states.length === 0) return -1;
    return states.reduce((sum, s) => sum + s.newestSeq, 0) / states.length;
  }
}

export function percentile(values: readonly number[], p: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}
