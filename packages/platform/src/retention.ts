const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/** InfluxDB 1.x refuses a finite retention below one hour. */
export const MIN_RETENTION_MS = HOUR_MS;

const UNIT_MS: Record<string, number> = { h: HOUR_MS, m: 60_000, s: 1000, ms: 1, us: 1e-3, µs: 1e-3, ns: 1e-6 };

/**
 * A duration as SHOW RETENTION POLICIES prints it (Go's `1h0m0.5s`), in
 * milliseconds; `0s` is InfluxDB's infinite retention, returned as null.
 */
export function parseInfluxDuration(text: string): number | null {
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ms|us|µs|ns|h|m|s)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join("") !== text)
    throw new Error(`not an InfluxDB duration: ${JSON.stringify(text)}`);
  const ms = Math.round(parts.reduce((sum, [, value, unit]) => sum + Number(value) * (UNIT_MS[unit ?? ""] ?? 0), 0));
  return ms === 0 ? null : ms;
}

/** The InfluxQL literal of a retention: milliseconds, or INF. */
export function durationLiteral(ms: number | null): string {
  return ms === null ? "INF" : `${ms}ms`;
}

/**
 * The shard group duration InfluxDB 1.x itself picks for a retention (its
 * `shardGroupDuration`): given with every ALTER, since a retention shorter
 * than the current shard duration is refused.
 */
export function shardDurationFor(ms: number | null): number {
  if (ms === null || ms >= 180 * DAY_MS) return 7 * DAY_MS;
  if (ms >= 2 * DAY_MS) return DAY_MS;
  return HOUR_MS;
}

/** A retention for people: `13 months` would be ambiguous, so hours and days. */
export function formatRetention(ms: number | null): string {
  if (ms === null) return "infinite";
  if (ms % DAY_MS === 0) return `${ms / DAY_MS}d`;
  if (ms % HOUR_MS === 0) return `${ms / HOUR_MS}h`;
  return `${ms}ms`;
}
