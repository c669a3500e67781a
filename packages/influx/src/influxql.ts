import { StadtflussError, UnavailableError } from "@stadtfluss/errors";
import type { InfluxReadSettings } from "./settings.ts";

export interface InfluxQLSeries {
  readonly name: string;
  readonly tags?: Record<string, string>;
  readonly columns: string[];
  readonly values: unknown[][];
}

/**
 * Runs InfluxQL on `/query`: the one query language that InfluxDB 1.x, 2.x and 3.x
 * all answer. Returns the series of each statement.
 */
export async function influxQL(
  settings: InfluxReadSettings,
  query: string,
  options: { readonly signal?: AbortSignal; readonly method?: "GET" | "POST" } = {},
): Promise<InfluxQLSeries[][]> {
  const url = new URL("/query", settings.url);
  const body = new URLSearchParams({ db: settings.database, q: query, epoch: "ms" });
  const headers: Record<string, string> = { accept: "application/json" };
  if (settings.token) headers.authorization = `Token ${settings.token.reveal()}`;
  const method = options.method ?? "GET";
  let response: Response;
  try {
    response =
      method === "GET"
        ? await fetch(`${url}?${body}`, { headers, signal: options.signal ?? null })
        : await fetch(url, {
            method,
            headers: { ...headers, "content-type": "application/x-www-form-urlencoded" },
            body,
            signal: options.signal ?? null,
          });
  } catch (error) {
    throw new UnavailableError("InfluxDB query failed", { url: url.origin }, error);
  }
  const text = await response.text();
  if (!response.ok) {
    const retriable = response.status >= 500 || response.status === 429;
    throw new StadtflussError(`InfluxDB answered ${response.status}: ${text.slice(0, 300)}`, { retriable });
  }
  type Answer = { series?: Array<Omit<InfluxQLSeries, "values"> & { values?: unknown[][] }>; error?: string };
  const json = JSON.parse(text) as { results?: Answer[] };
  return (json.results ?? []).map((result, i) => {
    if (result.error) throw new StadtflussError(`InfluxQL statement ${i + 1} failed: ${result.error}`);
    // InfluxDB leaves `values` out of a series without rows (SHOW DATABASES on an empty server).
    return (result.series ?? []).map((s) => ({ ...s, values: s.values ?? [] }));
  });
}

/** A measurement, tag, field or database name in InfluxQL: double quotes, so any name is safe. */
export function quoteIdentifier(name: string): string {
  return `"${name.replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"`;
}

/** A string literal in InfluxQL (a tag value, a time): single quotes. */
export function quoteString(text: string): string {
  return `'${text.replaceAll("\\", "\\\\").replaceAll("'", "\\'")}'`;
}

/**
 * One row per value row of every series: its tags (from GROUP BY) and its
 * columns by name. A column absent from a point is null, as InfluxDB answers it.
 */
export function seriesRows(series: readonly InfluxQLSeries[]): Array<Record<string, unknown>> {
  return series.flatMap((s) =>
    s.values.map((row) => ({ ...s.tags, ...Object.fromEntries(s.columns.map((column, i) => [column, row[i]])) })),
  );
}
