import { StadtflussError, UnavailableError } from "@stadtfluss/errors";
import type { InfluxSettings } from "./settings.ts";

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
  settings: Pick<InfluxSettings, "url" | "token" | "database">,
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
  const json = JSON.parse(text) as { results?: { series?: InfluxQLSeries[]; error?: string }[] };
  return (json.results ?? []).map((result, i) => {
    if (result.error) throw new StadtflussError(`InfluxQL statement ${i + 1} failed: ${result.error}`);
    return result.series ?? [];
  });
}
