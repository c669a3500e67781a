import { DecodeError } from "@stadtfluss/errors";
import type { FieldMapping } from "@stadtfluss/registry";
import type { Reading } from "../raw-record.ts";
import { describeValue, MAX_NESTING, tooDeep } from "./payload.ts";

/**
 * A LoRaWAN network server (or a codec) turns a frame's bytes into a JSON object
 * in the device's own words: `{"temperature": 20.0, "humidity": 30.0}`. The
 * device type's `fields` say which dotted paths of it are which kind; every
 * other leaf is reported as unmapped.
 */

/** What all readings of one uplink share. */
export interface UplinkStamp {
  readonly deviceId: string | undefined;
  readonly observedAt: Date;
  readonly seq: number | undefined;
}

/** A list of field mappings prepared for lookups, built once per list. */
export interface FieldTable {
  readonly fields: readonly FieldMapping[];
  readonly segments: ReadonlyArray<readonly string[]>;
  /** Paths that map to a kind, or that are deliberately not measurements (`time`). */
  readonly covered: ReadonlySet<string>;
  /** Proper prefixes of mapped paths: objects and arrays to look inside. */
  readonly inner: ReadonlySet<string>;
}

export function fieldTable(fields: readonly FieldMapping[], notMeasurements: readonly string[] = []): FieldTable {
  const inner = new Set<string>();
  for (const { path } of fields) {
    for (let dot = path.indexOf("."); dot !== -1; dot = path.indexOf(".", dot + 1)) inner.add(path.slice(0, dot));
  }
  return {
    fields,
    segments: fields.map(({ path }) => path.split(".")),
    covered: new Set([...fields.map(({ path }) => path), ...notMeasurements]),
    inner,
  };
}

const tables = new WeakMap<readonly FieldMapping[], FieldTable>();
const NO_FIELDS = fieldTable([]);

/** The table of a device type's `fields`, kept as long as the registry keeps the list. */
export function fieldTableOf(fields: readonly FieldMapping[] | undefined): FieldTable {
  if (!fields) return NO_FIELDS;
  let table = tables.get(fields);
  if (!table) {
    table = fieldTable(fields);
    tables.set(fields, table);
  }
  return table;
}

export function stampedReading(
  kind: string,
  value: number,
  unit: string,
  stamp: UplinkStamp,
  channel?: string,
): Reading {
  const reading: { -readonly [K in keyof Reading]: Reading[K] } = { kind, value, unit, observedAt: stamp.observedAt };
  if (stamp.deviceId !== undefined) reading.deviceId = stamp.deviceId;
  if (stamp.seq !== undefined) reading.seq = stamp.seq;
  if (channel !== undefined) reading.channel = channel;
  return reading;
}

/**
 * Appends a reading per mapped field present in `object`, and the paths of
 * all other leaves to `unmapped`. A mapped field that is absent or `null` (how
 * JSON says "no value") is skipped; one that is not a number is an error,
 * except booleans, which count as 1 and 0 (a parking space's `occupied`).
 * `what` names the object in error messages (`decoded_payload`, `object`).
 */
export function mapLorawanObject(
  object: unknown,
  table: FieldTable,
  stamp: UplinkStamp,
  what: string,
  readings: Reading[],
  unmapped: string[],
): void {
  if (!isRecord(object)) throw new DecodeError(`${what} is not a JSON object`);
  for (let i = 0; i < table.fields.length; i++) {
    const field = table.fields[i] as FieldMapping;
    const found = valueAt(object, table.segments[i] as readonly string[]);
    if (found === undefined || found === null) continue;
    let value: number;
    if (typeof found === "number" && Number.isFinite(found)) value = found;
    else if (typeof found === "boolean") value = found ? 1 : 0;
    else throw new DecodeError(`${what}.${field.path} is not a number: ${describeValue(found)}`);
    readings.push(
      stampedReading(
        field.kind,
        field.scale === undefined ? value : value * field.scale,
        field.unit,
        stamp,
        field.channel,
      ),
    );
  }
  const seen = new Set(unmapped);
  collectUnmapped(object, "", 0, table, (path) => {
    // Keys with dots (`{"a.b": 1, "a": {"b": 2}}`) can spell one path twice.
    if (seen.has(path)) return;
    seen.add(path);
    unmapped.push(path);
  });
}

function valueAt(object: Record<string, unknown>, segments: readonly string[]): unknown {
  let current: unknown = object;
  for (const segment of segments) {
    if (typeof current !== "object" || current === null || !Object.hasOwn(current, segment)) return undefined;
    current = (current as Record<string, unknown>)[segment];
  }
  return current;
}

function collectUnmapped(
  value: unknown,
  path: string,
  depth: number,
  table: FieldTable,
  report: (path: string) => void,
): void {
  if (path !== "" && table.covered.has(path)) return;
  // Arrays are one field (`bytes: [1, 2, 3]`) unless a mapping points inside one (`channels.0.value`).
  if (isRecord(value) || (Array.isArray(value) && table.inner.has(path))) {
    if (depth >= MAX_NESTING) throw tooDeep(path);
    for (const key of Object.keys(value)) {
      const inner = (value as Record<string, unknown>)[key];
      collectUnmapped(inner, path === "" ? key : `${path}.${key}`, depth + 1, table, report);
    }
    return;
  }
  if (path !== "") report(path);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
