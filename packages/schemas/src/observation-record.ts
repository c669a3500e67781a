import { regexes } from "zod/v4/core";
import { kinds } from "./kinds.ts";
import {
  MAX_CHANNEL_LENGTH,
  MAX_SITE_LENGTH,
  OBSERVATION_SCHEMA_ID,
  OBSERVATION_V2_SCHEMA_ID,
  OBSERVATION_V3_SCHEMA_ID,
  type Observation,
  parseObservation,
  parseObservationList,
  UNDECLARED_PRIVACY,
} from "./observation.ts";

/** observation.ts's identifier, channel and site rule. */
const IDENTIFIER = /^[A-Za-z0-9][A-Za-z0-9._:@-]*$/;
/** The very pattern observation.ts's `z.iso.datetime({ offset: true, precision: 3 })` tests. */
const INSTANT = regexes.datetime({ offset: true, precision: 3, local: false });
const KEYS = new Set([
  "tenant",
  "deviceId",
  "kind",
  "value",
  "unit",
  "observedAt",
  "receivedAt",
  "source",
  "seq",
  "location",
  "district",
  "privacy",
  "channel",
  "meterSerial",
  "site",
]);

const isIdentifier = (value: unknown, max = 128): value is string =>
  typeof value === "string" && value.length >= 1 && value.length <= max && IDENTIFIER.test(value);
/** The last two instants that passed: a record's observations share their times, and the pattern is long. */
let passed = "";
let passedBefore = "";
function isInstant(value: unknown): boolean {
  if (typeof value !== "string") return false;
  if (value.length > 0 && (value === passed || value === passedBefore)) return true;
  if (!INSTANT.test(value)) return false;
  passedBefore = passed;
  passed = value;
  return true;
}
const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);
const inRange = (value: unknown, min: number, max: number) => typeof value === "number" && value >= min && value <= max;

/**
 * observationSchema's rules written out, for a value JSON.parse returned: true
 * only where the schema would accept it and return the same object (privacy
 * defaulted). Stricter where that is simpler (a location with other keys, which
 * the schema would strip): false never refuses by itself, it only sends the
 * record to the schema.
 */
function isPlainObservation(record: Record<string, unknown>): boolean {
  for (const key in record) if (!KEYS.has(key)) return false;
  const kind = record.kind;
  if (typeof kind !== "string" || !Object.hasOwn(kinds, kind)) return false;
  if (record.unit !== kinds[kind as keyof typeof kinds].unit) return false;
  if (typeof record.value !== "number" || !Number.isFinite(record.value)) return false;
  if (!isIdentifier(record.tenant) || !isIdentifier(record.deviceId) || !isIdentifier(record.source)) return false;
  if (!isInstant(record.observedAt) || !isInstant(record.receivedAt)) return false;
  const { seq, location, district, privacy, channel, meterSerial, site } = record;
  if (seq !== undefined && !(Number.isSafeInteger(seq) && (seq as number) >= 0)) return false;
  if (location !== undefined) {
    if (typeof location !== "object" || location === null || Array.isArray(location)) return false;
    const { lat, lon, ...rest } = location as Record<string, unknown>;
    if (!inRange(lat, -90, 90) || !inRange(lon, -180, 180) || Object.keys(rest).length > 0) return false;
  }
  if (district !== undefined && !(typeof district === "string" && district.length >= 1 && district.length <= 64))
    return false;
  if (privacy !== undefined && privacy !== "public" && privacy !== "personal") return false;
  if (channel !== undefined && !isIdentifier(channel, MAX_CHANNEL_LENGTH)) return false;
  if (meterSerial !== undefined && !isIdentifier(meterSerial)) return false;
  if (site !== undefined && !isIdentifier(site, MAX_SITE_LENGTH)) return false;
  return true;
}

/**
 * An observation record as the influx-writer reads it: one whose `content-type`
 * header names an observation schema is checked by isPlainObservation, about
 * twice as fast as the schema with JSON.parse; any other record, and any record
 * that check does not pass, goes through parseObservation, which refuses exactly
 * as before and with its own reason. A forged header therefore gains nothing.
 */
export function readObservationRecord(value: string | Buffer, contentType: string | undefined): Observation {
  if (contentType !== OBSERVATION_SCHEMA_ID && contentType !== OBSERVATION_V2_SCHEMA_ID) return parseObservation(value);
  let record: unknown;
  try {
    record = JSON.parse(value.toString());
  } catch {
    return parseObservation(value);
  }
  if (!isObject(record) || !isPlainObservation(record)) return parseObservation(value);
  if (record.privacy === undefined) record.privacy = UNDECLARED_PRIVACY;
  return record as Observation;
}

/**
 * The observations of a record of any version: a v3 record's list is checked item by
 * item as readObservationRecord checks one, and goes whole through the list schema
 * when any item does not pass; a v1 or v2 record (or one without the header) is read
 * by readObservationRecord.
 */
export function readObservationRecords(value: string | Buffer, contentType: string | undefined): Observation[] {
  if (contentType !== OBSERVATION_V3_SCHEMA_ID) return [readObservationRecord(value, contentType)];
  let list: unknown;
  try {
    list = JSON.parse(value.toString());
  } catch {
    return parseObservationList(value);
  }
  if (!Array.isArray(list) || list.length === 0) return parseObservationList(value);
  for (const item of list) if (!isObject(item) || !isPlainObservation(item)) return parseObservationList(value);
  for (const item of list) if (item.privacy === undefined) item.privacy = UNDECLARED_PRIVACY;
  return list as Observation[];
}
