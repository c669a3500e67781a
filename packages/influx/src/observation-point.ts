import { Point } from "@influxdata/influxdb-client";
import { instantMs, type Observation } from "@stadtfluss/schemas";
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

/** The tags after the channel, in the client's sorted order: those a record's observations of one device share. */
function tagsAfterChannel(observation: Observation): string {
  return `${tagPart("device", observation.deviceId)}${tagPart("district", observation.district)}${tagPart("privacy", observation.privacy)}${tagPart("site", observation.site)}${tagPart("source", observation.source)}${tagPart("tenant", observation.tenant)}`;
}

const sameTagsAfterChannel = (a: Observation, b: Observation) =>
  a.deviceId === b.deviceId &&
  a.district === b.district &&
  a.privacy === b.privacy &&
  a.site === b.site &&
  a.source === b.source &&
  a.tenant === b.tenant;

/** An observation's series (measurement and tags, in the client's sorted order), as observationToLine writes it. */
function seriesOf(observation: Observation, afterChannel = tagsAfterChannel(observation)): string {
  return `${escapeMeasurement(measurementOf(observation.kind))}${tagPart("channel", observation.channel)}${afterChannel}`;
}

/** Sets an observation's fields, a later one of the same name winning, as Point's field setters do. */
function setFields(fields: Map<string, string>, observation: Observation): void {
  const quantity = quantityOf(observation.kind);
  if (quantity) fields.set(quantity, fieldValue(quantity, { type: "float", value: observation.value }));
  if (observation.seq !== undefined) fields.set("seq", fieldValue("seq", { type: "int", value: observation.seq }));
  if (observation.meterSerial !== undefined)
    fields.set(METER_SERIAL_FIELD, fieldValue(METER_SERIAL_FIELD, { type: "string", value: observation.meterSerial }));
}

function lineOf(series: string, fields: Map<string, string>, time: number, kind: string): string {
  if (!measurementOf(kind) || fields.size === 0) throw new Error(`observation of kind "${kind}" makes no line`);
  // Sorted by name, as the client sorts them.
  const names = fields.size === 1 ? [...fields.keys()] : [...fields.keys()].sort();
  let fieldsPart = "";
  for (const name of names) fieldsPart += `${fieldsPart ? "," : ""}${escapeTag(name)}=${fields.get(name)}`;
  return `${series} ${fieldsPart} ${time}`;
}

/**
 * The line observationToPoint's point writes at millisecond precision, without
 * building the Point: what the writer sends (line-protocol.test.ts holds the two
 * equal for any observation). Tags in the client's order, which is sorted.
 */
export function observationToLine(observation: Observation): string {
  const fields = new Map<string, string>();
  setFields(fields, observation);
  return lineOf(seriesOf(observation), fields, instantMs(observation.observedAt), observation.kind);
}

/** A line of one or more observations of one point, and the first of them (its tenant and privacy pick the database). */
export interface ObservationLine {
  readonly line: string;
  readonly observation: Observation;
}

/**
 * The lines of observations that share their tags after the channel and their
 * instant, as observationsToLines writes them; undefined where they do not. Mostly
 * so (one message of one device), and then a point is found by its measurement and
 * channel, without a key to build and hash.
 */
function linesOfOneInstant(observations: readonly Observation[]): ObservationLine[] | undefined {
  const [first] = observations as [Observation];
  for (const observation of observations)
    if (observation.observedAt !== first.observedAt || !sameTagsAfterChannel(first, observation)) return undefined;
  const points: { measurement: string; channel: string; fields: Map<string, string>; observation: Observation }[] = [];
  for (const observation of observations) {
    const measurement = measurementOf(observation.kind);
    // An empty channel is left out as an absent one is: the same series.
    const channel = observation.channel || "";
    let point = points.find((p) => p.measurement === measurement && p.channel === channel);
    if (!point) {
      point = { measurement, channel, fields: new Map(), observation };
      points.push(point);
    }
    setFields(point.fields, observation);
  }
  const afterChannel = tagsAfterChannel(first);
  const time = instantMs(first.observedAt);
  return points.map(({ measurement, channel, fields, observation }) => ({
    line: lineOf(
      `${escapeMeasurement(measurement)}${tagPart("channel", channel)}${afterChannel}`,
      fields,
      time,
      observation.kind,
    ),
    observation,
  }));
}

/**
 * The lines of one record's observations, those of one point (measurement, tags and
 * time) merged into one line with all their fields, a later field of the same name
 * winning: what InfluxDB stores for their separate lines, in fewer lines for it to
 * parse. A device's counter and speed at one instant are one line
 * (line-protocol.test.ts holds it equal to the client's Point given every field).
 */
export function observationsToLines(observations: readonly Observation[]): ObservationLine[] {
  if (observations.length === 1) {
    const [only] = observations as [Observation];
    return [{ line: observationToLine(only), observation: only }];
  }
  const ofOneInstant = linesOfOneInstant(observations);
  if (ofOneInstant) return ofOneInstant;
  const points = new Map<
    string,
    { series: string; time: number; fields: Map<string, string>; observation: Observation }
  >();
  // A record's observations are one message's readings: the same device and, mostly,
  // the same instant. Their shared tags and time are written and parsed once.
  let previous: Observation | undefined;
  let afterChannel = "";
  let time = 0;
  for (const observation of observations) {
    if (previous === undefined || !sameTagsAfterChannel(previous, observation))
      afterChannel = tagsAfterChannel(observation);
    if (previous === undefined || previous.observedAt !== observation.observedAt)
      time = instantMs(observation.observedAt);
    previous = observation;
    const series = seriesOf(observation, afterChannel);
    const key = `${series} ${time}`;
    let point = points.get(key);
    if (!point) {
      point = { series, time, fields: new Map(), observation };
      points.set(key, point);
    }
    setFields(point.fields, observation);
  }
  return Array.from(points.values(), ({ series, time, fields, observation }) => ({
    line: lineOf(series, fields, time, observation.kind),
    observation,
  }));
}
