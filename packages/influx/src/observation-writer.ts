import { HttpError, InfluxDB, type Point, type WriteApi } from "@influxdata/influxdb-client";
import { StadtflussError, UnavailableError } from "@stadtfluss/errors";
import type { InfluxSettings } from "./settings.ts";

/** Bad request, too large, unprocessable: the data itself was refused. */
const DATA_REFUSED = new Set([400, 413, 422]);

export interface WriteOutcome {
  /** Indexes of the points InfluxDB refused for good, with its reason. */
  readonly rejected: ReadonlyArray<{ readonly index: number; readonly error: StadtflussError }>;
}

/**
 * Writes points through the client's WriteApi and resolves only when InfluxDB has
 * acknowledged them. The client's own buffering and retries are switched off:
 * its background batches are not awaited by flush(), and a write that is only
 * queued for retry is not yet stored. The caller retries, so that Kafka offsets
 * are committed strictly after InfluxDB has the data.
 */
export class ObservationWriter {
  readonly #api: WriteApi;

  readonly #maxPoints: number;

  constructor(settings: InfluxSettings, options: { readonly timeoutMs?: number; readonly maxPoints?: number } = {}) {
    this.#maxPoints = options.maxPoints ?? 5_000;
    const influx = new InfluxDB({
      url: settings.url,
      ...(settings.token ? { token: settings.token.reveal() } : {}),
      timeout: options.timeoutMs ?? 10_000,
    });
    this.#api = influx.getWriteApi(settings.org, settings.bucket, "ms", {
      // One more than a write ever holds: the client must never send on its own.
      batchSize: this.#maxPoints + 1,
      flushInterval: 0,
      maxRetries: 0,
      maxBufferLines: Number.MAX_SAFE_INTEGER,
      // The client gzips bodies above this many bytes (default 1,000).
      gzipThreshold: settings.gzip ? 1_000 : Number.POSITIVE_INFINITY,
    });
  }

  /**
   * Throws an UnavailableError (retriable) when InfluxDB cannot be reached or is
   * overloaded. When it refuses the data itself (4xx, such as a field type
   * conflict), halves the batch until the refused points are found and returns
   * them, so that one bad point does not hold back the others.
   */
  async write(points: readonly Point[]): Promise<WriteOutcome> {
    if (points.length > this.#maxPoints) throw new RangeError(`at most ${this.#maxPoints} points per write`);
    const rejected: { index: number; error: StadtflussError }[] = [];
    await this.#writeRange(points, 0, points.length, rejected);
    return { rejected };
  }

  async close(): Promise<void> {
    await this.#api.close();
  }

  async #writeRange(
    points: readonly Point[],
    from: number,
    to: number,
    rejected: { index: number; error: StadtflussError }[],
  ): Promise<void> {
    if (from >= to) return;
    try {
      this.#api.writePoints(points.slice(from, to));
      await this.#api.flush();
    } catch (error) {
      // Only these say "this data": anything else (down, overloaded, a wrong token or
      // a missing bucket) is waited out rather than turned into dead letters.
      if (!(error instanceof HttpError) || !DATA_REFUSED.has(error.statusCode)) {
        const status = error instanceof HttpError ? error.statusCode : undefined;
        throw new UnavailableError("InfluxDB did not accept the batch", { points: to - from, status }, error);
      }
      if (to - from === 1) {
        rejected.push({
          index: from,
          error: new StadtflussError(`InfluxDB refused the point: ${error.body || error.message}`, {
            context: { statusCode: error.statusCode },
          }),
        });
        return;
      }
      const middle = from + Math.floor((to - from) / 2);
      await this.#writeRange(points, from, middle, rejected);
      await this.#writeRange(points, middle, to, rejected);
    }
  }
}
