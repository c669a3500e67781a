import { Point } from "@influxdata/influxdb-client";
import type { Observation } from "@stadtfluss/schemas";
import { escapeMeasurement, escapeTag, fieldValue } from "./line-protocol.ts";

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
 * several sensors of one kind; district and site are the registry's, one per
 * device). Readings of one device and channel at one instant merge into one point; a replayed observation overwrites itself, which makes
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
  // A car park: bounded by the registry, as the district is.
  if (observation.site !== undefined) point.tag("site", observation.site);
  point.tag("privacy", observation.privacy);
  // `seq` is what the audit counts to prove nothing went missing.
  if (observation.seq !== undefined) point.intField("seq", observation.seq);
  // A field, not a tag: a meter exchange keeps the device's series, and a payload never adds series.
  if (observation.meterSerial !== undefined) point.stringField(METER_SERIAL_FIELD, observation.meterSerial);
  return point;
}

/** A tag as the client writes it: left out when empty. */
const tagPart = (name: string, value: string | undefined) => (value ? `,${name}=${escapeTag(value)}` : "");

/**
 * The line observationToPoint's point writes at millisecond precision, without
 * building the Point: what the writer sends (line-protocol.test.ts holds the two
 * equal for any observation). Tags in the client's order, which is sorted.
 */
export function observationToLine(observation: Observation): string {
  const measurement = measurementOf(observation.kind);
  const quantity = quantityOf(observation.kind);
  // Up to three fields, sorted by name as the client sorts them; a later field of the same name wins, as in Point.
  const fields: [string, string][] = [];
  if (quantity && quantity !== "seq" && quantity !== METER_SERIAL_FIELD)
    fields.push([quantity, fieldValue(quantity, { type: "float", value: observation.value })]);
  else if (quantity && observation[quantity === "seq" ? "seq" : "meterSerial"] === undefined)
    fields.push([quantity, fieldValue(quantity, { type: "float", value: observation.value })]);
  if (observation.seq !== undefined) fields.push(["seq", fieldValue("seq", { type: "int", value: observation.seq })]);
  if (observation.meterSerial !== undefined)
    fields.push([
      METER_SERIAL_FIELD,
      fieldValue(METER_SERIAL_FIELD, { type: "string", value: observation.meterSerial }),
    ]);
  if (!measurement || fields.length === 0) throw new Error(`observation of kind "${observation.kind}" makes no line`);
  if (fields.length > 1) fields.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  let fieldsPart = "";
  for (const [name, value] of fields) fieldsPart += `${fieldsPart ? "," : ""}${escapeTag(name)}=${value}`;
  return `${escapeMeasurement(measurement)}${tagPart("channel", observation.channel)}${tagPart("device", observation.deviceId)}${tagPart("district", observation.district)}${tagPart("privacy", observation.privacy)}${tagPart("site", observation.site)}${tagPart("source", observation.source)}${tagPart("tenant", observation.tenant)} ${fieldsPart} ${new Date(observation.observedAt).getTime()}`;
}
