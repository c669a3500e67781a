import { HttpError, InfluxDB, type Point, type WriteApi } from "@influxdata/influxdb-client";
import { excerpt, StadtflussError, UnavailableError } from "@stadtfluss/errors";
import type { InfluxSettings, InfluxWriteSettings } from "./settings.ts";

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

/** 1.x and 1.8 say "database not found", 2.x `bucket "…" not found`; any other 404 is a wrong URL. */
const NOT_FOUND = /database not found|bucket\b.*\bnot found/;

/**
 * The database (bucket) a write names does not exist: InfluxDB 1.x and 1.8's
 * `/api/v2/write` answer 404 "database not found", 2.x 404 "bucket not found".
 * Retriable: declared databases are created by `pnpm platform apply`, and the
 * writer waits for that rather than dead-lettering or writing elsewhere.
 */
export class DatabaseNotFoundError extends UnavailableError {
  readonly database: string;

  constructor(database: string, message: string, context: Record<string, unknown>, cause: unknown) {
    super(message, { ...context, database }, cause);
    this.database = database;
  }
}

/** A point, or its line at millisecond precision (observationToLine), and the database (bucket) it belongs in. */
export interface RoutedPoint {
  readonly database: string;
  readonly point: Point | string;
}

/**
 * The indexes of `databases` per database, in order of first appearance, each
 * list ascending: one write per database, and every refusal maps back to its
 * place in the batch.
 */
export function groupByDatabase(databases: readonly string[]): ReadonlyArray<{
  readonly database: string;
  readonly indexes: readonly number[];
}> {
  const groups = new Map<string, number[]>();
  databases.forEach((database, index) => {
    const group = groups.get(database);
    if (group) group.push(index);
    else groups.set(database, [index]);
  });
  return [...groups].map(([database, indexes]) => ({ database, indexes }));
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
  readonly #influx: InfluxDB;

  readonly #settings: InfluxWriteSettings;

  /** One per database written to: the client binds a WriteApi to its bucket. */
  readonly #apis = new Map<string, WriteApi>();

  readonly #maxPoints: number;

  constructor(
    settings: InfluxSettings | InfluxWriteSettings,
    options: { readonly timeoutMs?: number; readonly maxPoints?: number } = {},
  ) {
    this.#maxPoints = options.maxPoints ?? 5_000;
    this.#settings = settings;
    this.#influx = new InfluxDB({
      url: settings.url,
      ...(settings.token ? { token: settings.token.reveal() } : {}),
      timeout: options.timeoutMs ?? 10_000,
    });
  }

  /**
   * Writes to the settings' bucket. Throws an UnavailableError (retriable) when
   * InfluxDB cannot be reached or is overloaded, a DatabaseNotFoundError
   * (retriable) when the bucket does not exist, a CapacityRefusedError
   * (retriable) when one of its limits is reached. When it refuses the data
   * itself (4xx, such as a field type conflict), halves the batch until the
   * refused points are found and returns them, so that one bad point does not
   * hold back the others.
   */
  async write(points: readonly (Point | string)[]): Promise<WriteOutcome> {
    const bucket = this.#settings.bucket;
    if (bucket === undefined) throw new Error("no bucket set: write each point to its database with writeRouted()");
    return this.writeRouted(points.map((point) => ({ database: bucket, point })));
  }

  /**
   * Writes each point to its own database: one request per database, all sent
   * at once and all awaited. Resolves only when every database acknowledged its
   * points (refusals as in write(), per database); throws when any of them did
   * not, after the others settled, so that the caller retries the whole batch
   * and commits nothing before all of it is stored (a point written twice
   * replaces itself: same series, same time).
   */
  async writeRouted(points: readonly RoutedPoint[]): Promise<WriteOutcome> {
    if (points.length > this.#maxPoints) throw new RangeError(`at most ${this.#maxPoints} points per write`);
    const rejected: { index: number; error: StadtflussError }[] = [];
    const groups = groupByDatabase(points.map((routed) => routed.database));
    const settled = await Promise.allSettled(
      groups.map(async ({ database, indexes }) => {
        const refused: { index: number; error: StadtflussError }[] = [];
        const group = indexes.map((index) => (points[index] as RoutedPoint).point);
        await this.#writeRange(database, group, 0, group.length, refused);
        for (const { index, error } of refused) rejected.push({ index: indexes[index] as number, error });
      }),
    );
    const failed = settled.find((outcome) => outcome.status === "rejected");
    if (failed) throw failed.reason;
    rejected.sort((a, b) => a.index - b.index);
    return { rejected };
  }

  async close(): Promise<void> {
    await Promise.all([...this.#apis.values()].map((api) => api.close()));
  }

  #api(bucket: string): WriteApi {
    let api = this.#apis.get(bucket);
    if (!api) {
      api = this.#influx.getWriteApi(this.#settings.org, bucket, "ms", {
        // One more than a write ever holds: the client must never send on its own.
        batchSize: this.#maxPoints + 1,
        flushInterval: 0,
        maxRetries: 0,
        maxBufferLines: Number.MAX_SAFE_INTEGER,
        // The client gzips bodies above this many bytes (default 1,000).
        gzipThreshold: this.#settings.gzip ? 1_000 : Number.POSITIVE_INFINITY,
      });
      this.#apis.set(bucket, api);
    }
    return api;
  }

  async #writeRange(
    bucket: string,
    points: readonly (Point | string)[],
    from: number,
    to: number,
    rejected: { index: number; error: StadtflussError }[],
  ): Promise<void> {
    if (from >= to) return;
    try {
      const api = this.#api(bucket);
      // A line goes as it is, a Point through the client's own serializer (skipped
      // without fields, as writePoint skips it). Handed over as one record, so that
      // the client measures and joins one string, not each line: the same body.
      const lines: string[] = [];
      for (let index = from; index < to; index++) {
        const point = points[index] as Point | string;
        if (typeof point === "string") lines.push(point);
        else {
          const line = point.toLineProtocol(api);
          if (line) lines.push(line);
        }
      }
      if (lines.length > 0) api.writeRecord(lines.join("\n"));
      await api.flush();
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
      if (error instanceof HttpError && error.statusCode === 404 && NOT_FOUND.test(error.body ?? error.message)) {
        throw new DatabaseNotFoundError(
          bucket,
          `InfluxDB has no database "${bucket}" (create it: pnpm platform apply): ${excerpt(error.body || error.message)}`,
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
      await this.#writeRange(bucket, points, from, middle, rejected);
      await this.#writeRange(bucket, points, middle, to, rejected);
    }
  }
}
