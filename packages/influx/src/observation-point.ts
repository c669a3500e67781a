import { Point } from "@influxdata/influxdb-client";
import type { Observation } from "@stadtfluss/schemas";

/**
 * Observation → InfluxDB point. Measurement per domain (`traffic`, `energy`,
 * `air`), one field per quantity, and only tags whose values are bounded by the
 * device registry, so series cardinality stays at devices × sources. Readings of
 * one device at one instant merge into one point; a replayed observation
 * overwrites itself, which makes at-least-once delivery harmless.
 */
export const TAGS = ["tenant", "device", "district", "source", "privacy"] as const;

export function measurementOf(kind: string): string {
  return kind.slice(0, kind.indexOf("."));
}

export function quantityOf(kind: string): string {
  return kind.slice(kind.indexOf(".") + 1);
}

export function observationToPoint(observation: Observation): Point {
  const point = new Point(measurementOf(observation.kind))
    .tag("tenant", observation.tenant)
    .tag("device", observation.deviceId)
    .tag("source", observation.source)
    .floatField(quantityOf(observation.kind), observation.value)
    .timestamp(new Date(observation.observedAt));
  if (observation.district !== undefined) point.tag("district", observation.district);
  if (observation.privacy !== undefined) point.tag("privacy", observation.privacy);
  // `seq` is what the audit counts to prove nothing went missing.
  if (observation.seq !== undefined) point.intField("seq", observation.seq);
  return point;
}
