import { influxQL, quoteIdentifier } from "./influxql.ts";
import type { InfluxReadSettings } from "./settings.ts";

/**
 * Creates the database the settings name (InfluxDB 1.x; 2.x and 3.x create
 * buckets and databases by their own APIs). Nothing happens when it exists with
 * the same retention. `retentionMs` keeps points that long (at least an hour).
 */
export async function createDatabase(
  settings: InfluxReadSettings,
  options: { readonly retentionMs?: number } = {},
): Promise<void> {
  const retention = options.retentionMs === undefined ? "" : ` WITH DURATION ${options.retentionMs}ms`;
  await influxQL(settings, `CREATE DATABASE ${quoteIdentifier(settings.database)}${retention}`, { method: "POST" });
}

/** Drops the database the settings name, with every point in it. */
export async function dropDatabase(settings: InfluxReadSettings): Promise<void> {
  await influxQL(settings, `DROP DATABASE ${quoteIdentifier(settings.database)}`, { method: "POST" });
}
