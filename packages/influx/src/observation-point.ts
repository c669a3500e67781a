import { Point } from "@influxdata/influxdb-client";
import type { Observation } from "@stadtfluss/schemas";

/** The string field holding a meter's own serial number, where the meter sends one. */
export const METER_SERIAL_FIELD = "meter_serial";

export function measurementOf(kind: string): string {
  return kind.slice(0, kind.indexOf("."));
}

export function quantityOf(kind: string): string {
  return kind.slice(kind.indexOf(".") + 1);
}

/**
 * Observation → InfluxDB point. Measurement per domain (`traffic`, `energy`,
 * `air`), one field per quantity, and only tags whose values are bounded by the
 * device registry or the device, so series cardinality stays at devices × sources
 * × channels (a channel is at most 32 characters and only where a device has
 * several sensors of one kind). Readings of one device and channel at one instant
 * merge into one point; a replayed observation overwrites itself, which makes
 * at-least-once delivery harmless. The normalizer refuses a message whose readings
 * would overwrite each other (docs/delivery.md, "Point identity").
 */
export function observationToPoint(observation: Observation): Point {
  const point = new Point(measurementOf(observation.kind))
    .tag("tenant", observation.tenant)
    .tag("device", observation.deviceId)
    .tag("source", observation.source)
    .floatField(quantityOf(observation.kind), observation.value)
    .timestamp(new Date(observation.observedAt));
  // Absent, not empty, without a channel: such a point stays in the series it always had.
  if (observation.channel !== undefined) point.tag("channel", observation.channel);
  if (observation.district !== undefined) point.tag("district", observation.district);
  point.tag("privacy", observation.privacy);
  // `seq` is what the audit counts to prove nothing went missing.
  if (observation.seq !== undefined) point.intField("seq", observation.seq);
  // A field, not a tag: a meter exchange keeps the device's series, and a payload never adds series.
  if (observation.meterSerial !== undefined) point.stringField(METER_SERIAL_FIELD, observation.meterSerial);
  return point;
}
