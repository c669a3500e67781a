import {
  type InfluxReadSettings,
  influxQL,
  quoteIdentifier,
  quoteString,
  RUN_MARKER_MEASUREMENT,
  seriesRows,
} from "@stadtfluss/influx";
import { parseDatabaseName } from "@stadtfluss/registry";
import type { Cursor } from "./cursor.ts";

/** The tags the aggregator writes (docs/open-data.md); every other column is a field. */
export const TAGS = ["resolution", "scope", "device", "district"] as const;

export interface Observation {
  readonly time: number;
  readonly tags: Readonly<Record<string, string>>;
  readonly fields: Readonly<Record<string, number | boolean | string>>;
}

export interface ObservationPage {
  readonly observations: Observation[];
  /** Absent on the last page. */
  readonly next?: Cursor;
}

export interface ObservationQuery {
  readonly from: number;
  readonly to: number;
  readonly resolution?: string;
  readonly district?: string;
  readonly device?: string;
  /** Where the previous page ended. */
  readonly after?: Cursor;
  readonly limit: number;
}

/**
 * Reads one tenant's `<tenant>_open` database: the aggregator's roll-ups and
 * nothing else. The database is checked here, once, so that no route can send
 * the open-data credential to another class even by mistake.
 */
export class OpenStore {
  readonly #settings: InfluxReadSettings;

  constructor(connection: Omit<InfluxReadSettings, "database">, database: string) {
    if (parseDatabaseName(database)?.dataClass !== "open")
      throw new Error(`${database} is not an open database: the open-data API reads no other`);
    this.#settings = { ...connection, database };
  }

  /** The measurements that hold roll-ups: each is a dataset (the aggregator's progress is none). */
  async measurements(): Promise<string[]> {
    const [series = []] = await this.#query("SHOW MEASUREMENTS");
    return seriesRows(series)
      .map((row) => String(row.name))
      .filter((name) => name !== RUN_MARKER_MEASUREMENT)
      .sort();
  }

  /** The fields of a measurement, sorted: the same columns on every page of a CSV. */
  async fields(measurement: string): Promise<string[]> {
    const [series = []] = await this.#query(`SHOW FIELD KEYS FROM ${quoteIdentifier(measurement)}`);
    return seriesRows(series)
      .map((row) => String(row.fieldKey))
      .sort();
  }

  /** The resolutions and districts published in a measurement. */
  async tagValues(measurement: string, tag: string): Promise<string[]> {
    const [series = []] = await this.#query(
      `SHOW TAG VALUES FROM ${quoteIdentifier(measurement)} WITH KEY = ${quoteIdentifier(tag)}`,
    );
    return seriesRows(series)
      .map((row) => String(row.value))
      .sort();
  }

  /** The first and last aggregate's time (temporal coverage), or undefined for an empty measurement. */
  async extent(measurement: string, field: string): Promise<{ first: number; last: number } | undefined> {
    const m = quoteIdentifier(measurement);
    const f = quoteIdentifier(field);
    const [first = [], last = []] = await this.#query(`SELECT first(${f}) FROM ${m}; SELECT last(${f}) FROM ${m}`);
    const a = seriesRows(first)[0]?.time;
    const b = seriesRows(last)[0]?.time;
    return typeof a === "number" && typeof b === "number" ? { first: a, last: b } : undefined;
  }

  /**
   * A page of observations in [from, to), oldest first, ties in time ordered by
   * series (scope, device, district, resolution), and the cursor after it. InfluxDB
   * orders rows of equal time as it likes, so a page never ends inside a time's rows
   * as InfluxDB cut them: that time's rows are read whole and sorted, and the
   * cursor counts how many of them were sent.
   */
  async observations(measurement: string, query: ObservationQuery): Promise<ObservationPage> {
    const filters = this.#tagFilters(query);
    const page: Observation[] = [];
    if (query.after) {
      const group = await this.#at(measurement, query.after.time, filters);
      const rest = group.slice(query.after.skip);
      if (rest.length > query.limit) {
        const next = { time: query.after.time, skip: query.after.skip + query.limit };
        return { observations: rest.slice(0, query.limit), next };
      }
      page.push(...rest);
    }
    const wanted = query.limit - page.length;
    const lower = query.after ? `time > ${query.after.time}ms` : `time >= ${query.from}ms`;
    const where = [lower, `time < ${query.to}ms`, ...filters];
    const [series = []] = await this.#query(
      `SELECT * FROM ${quoteIdentifier(measurement)} WHERE ${where.join(" AND ")} ORDER BY time ASC LIMIT ${wanted + 1}`,
    );
    const read = seriesRows(series).map(toObservation);
    // The previous time's rest filled the page: whether more follow is all the read tells.
    if (wanted === 0 && query.after)
      return read.length === 0
        ? { observations: page }
        : { observations: page, next: { time: query.after.time, skip: query.after.skip + page.length } };
    if (read.length <= wanted) return { observations: [...page, ...sortTies(read)] };
    const kept = read.slice(0, wanted);
    const last = (kept.at(-1) as Observation).time;
    const before = kept.filter((o) => o.time < last);
    const count = kept.length - before.length;
    const group = await this.#at(measurement, last, filters);
    return {
      observations: [...page, ...sortTies(before), ...group.slice(0, count)],
      next: { time: last, skip: count },
    };
  }

  /** Every observation at one instant, in series order. */
  async #at(measurement: string, time: number, filters: string[]): Promise<Observation[]> {
    const where = [`time = ${time}ms`, ...filters];
    const [series = []] = await this.#query(
      `SELECT * FROM ${quoteIdentifier(measurement)} WHERE ${where.join(" AND ")}`,
    );
    return sortTies(seriesRows(series).map(toObservation));
  }

  /**
   * The last aggregate of every series (a device, or a district) within `sinceMs`:
   * `LIMIT 1` per series of a descending read, a bounded scan whatever the history's length.
   */
  async latest(
    measurement: string,
    query: { readonly since: number; readonly resolution?: string; readonly district?: string },
  ): Promise<Observation[]> {
    const where = [`time >= ${query.since}ms`, ...this.#tagFilters(query)];
    const [series = []] = await this.#query(
      `SELECT * FROM ${quoteIdentifier(measurement)} WHERE ${where.join(" AND ")} GROUP BY * ORDER BY time DESC LIMIT 1`,
    );
    return seriesRows(series).map(toObservation);
  }

  #tagFilters(query: { readonly resolution?: string; readonly district?: string; readonly device?: string }) {
    return (["resolution", "district", "device"] as const).flatMap((tag) => {
      const value = query[tag];
      return value === undefined ? [] : [`${quoteIdentifier(tag)} = ${quoteString(value)}`];
    });
  }

  #query(statement: string) {
    return influxQL(this.#settings, statement);
  }
}

function toObservation(row: Record<string, unknown>): Observation {
  const tags: Record<string, string> = {};
  const fields: Record<string, number | boolean | string> = {};
  for (const [key, value] of Object.entries(row)) {
    if (key === "time" || value === null || value === undefined || value === "") continue;
    if ((TAGS as readonly string[]).includes(key)) tags[key] = String(value);
    else if (typeof value === "number" || typeof value === "boolean" || typeof value === "string") fields[key] = value;
  }
  return { time: row.time as number, tags, fields };
}

/** The order of observations at one time: stable whatever order InfluxDB returned them in. */
export function seriesKey(o: Observation): string {
  return TAGS.map((tag) => o.tags[tag] ?? "").join("\u0000");
}

function sortTies(observations: Observation[]): Observation[] {
  return observations.sort(
    (a, b) => a.time - b.time || (seriesKey(a) < seriesKey(b) ? -1 : seriesKey(a) > seriesKey(b) ? 1 : 0),
  );
}
