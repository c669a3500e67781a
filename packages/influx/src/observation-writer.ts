import { HttpError, InfluxDB, type Point, type WriteApi } from "@influxdata/influxdb-client";
import { excerpt, StadtflussError, UnavailableError } from "@stadtfluss/errors";
import type { InfluxSettings } from "./settings.ts";

/** Bad request, too large, unprocessable: the data itself was refused, unless a limit says otherwise. */
const DATA_REFUSED = new Set([400, 413, 422]);

/** Which of InfluxDB's capacity limits refused a write. */
export type CapacityLimit = "series" | "tag-values" | "retention";

/**
 * InfluxDB's words for a limit it has reached, not for bad data. 1.x answers
 * them with 400 as a partial write (it stored the rest of the batch), 2.x
 * beyond retention with 422; the text is all that tells them from a field
 * type conflict. Cloud's cardinality limit is a 429, retried anyway.
 */
const CAPACITY_REFUSALS: ReadonlyArray<{ readonly limit: CapacityLimit; readonly text: RegExp }> = [
  { limit: "series", text: /max-series-per-database limit exceeded/ },
  { limit: "tag-values", text: /max-values-per-tag limit exceeded/ },
  { limit: "retention", text: /points beyond retention policy/ },
];

/**
 * InfluxDB refused points for lack of capacity: writing them again succeeds
 * once an operator raises the limit (or the retention). Retriable, so that the
 * writer waits and alerts instead of turning a full database into dead letters.
 */
export class CapacityRefusedError extends UnavailableError {
  readonly limit: CapacityLimit;

  constructor(limit: CapacityLimit, message: string, context: Record<string, unknown>, cause: unknown) {
    super(message, context, cause);
    this.limit = limit;
  }
}

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
   * overloaded, a CapacityRefusedError (retriable) when one of its limits is
   * reached. When it refuses the data itself (4xx, such as a field type
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
      const capacity =
        error instanceof HttpError
          ? CAPACITY_REFUSALS.find((refusal) => refusal.text.test(error.body ?? error.message))
          : undefined;
      if (capacity && error instanceof HttpError) {
        throw new CapacityRefusedError(
          capacity.limit,
          `InfluxDB refused points, its ${capacity.limit} limit is reached: ${excerpt(error.body || error.message)}`,
          { points: to - from, status: error.statusCode },
          error,
        );
      }
      // Only these say "this data": anything else (down, overloaded, a wrong token or
      // a missing bucket) is waited out rather than turned into dead letters.
      if (!(error instanceof HttpError) || !DATA_REFUSED.has(error.statusCode)) {
        const status = error instanceof HttpError ? error.statusCode : undefined;
        throw new UnavailableError("InfluxDB did not accept the batch", { points: to - from, status }, error);
      }
      if (to - from === 1) {
        rejected.push({
          index: from,
          error: new StadtflussError(`InfluxDB refused the point: ${excerpt(error.body || error.message)}`, {
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
