import { Point } from "@influxdata/influxdb-client";

/** One published figure: a window's aggregate of one device, district or tenant. */
export interface Aggregate {
  readonly measurement: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly fields: Readonly<Record<string, number | boolean>>;
  /** Fields stored as integers (counts of households); every other number is a float, always. */
  readonly integerFields?: readonly string[];
  /** The window's start. */
  readonly time: number;
}

export function pointOf(aggregate: Aggregate): Point {
  const point = new Point(aggregate.measurement);
  for (const [name, value] of Object.entries(aggregate.tags)) point.tag(name, value);
  for (const [name, value] of Object.entries(aggregate.fields)) {
    if (typeof value === "boolean") point.booleanField(name, value);
    else if (aggregate.integerFields?.includes(name)) point.intField(name, value);
    else point.floatField(name, value);
  }
  return point.timestamp(new Date(aggregate.time));
}

/**
 * The Kafka record of an aggregate for streaming consumers: JSON, keyed by
 * everything that identifies it (tenant, measurement, tags, window), so that an
 * aggregate computed again has the same key and a compacted topic keeps the last.
 */
export function aggregateRecord(tenant: string, aggregate: Aggregate): { key: string; value: string } {
  const tags = Object.entries(aggregate.tags).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const windowStart = new Date(aggregate.time).toISOString();
  return {
    key: [tenant, aggregate.measurement, ...tags.map(([name, value]) => `${name}=${value}`), windowStart].join("|"),
    value: JSON.stringify({
      tenant,
      measurement: aggregate.measurement,
      windowStart,
      tags: Object.fromEntries(tags),
      fields: aggregate.fields,
    }),
  };
}
