import { regexes } from "zod/v4/core";
import { kinds } from "./kinds.ts";
import {
  MAX_CHANNEL_LENGTH,
  MAX_SITE_LENGTH,
  OBSERVATION_SCHEMA_ID,
  OBSERVATION_V2_SCHEMA_ID,
  OBSERVATION_V3_SCHEMA_ID,
  OBSERVATION_V4_SCHEMA_ID,
  type Observation,
  parseObservation,
  parseObservationList,
  parseObservationV4,
  SHAREABLE_FIELDS,
  UNDECLARED_PRIVACY,
} from "./observation.ts";

/** observation.ts's identifier, channel and site rule. */
const IDENTIFIER = /^[A-Za-z0-9][A-Za-z0-9._:@-]*$/;
/** The very pattern observation.ts's `z.iso.datetime({ offset: true, precision: 3 })` tests. */
const INSTANT = regexes.datetime({ offset: true, precision: 3, local: false });

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
/** What JSON.parse returns for a record's text, undefined where it is no JSON (the schema then says why). */
function parsedRecord(value: string | Buffer): unknown {
  try {
    return JSON.parse(value.toString());
  } catch {
    return undefined;
  }
}
const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);
const inRange = (value: unknown, min: number, max: number) => typeof value === "number" && value >= min && value <= max;

/** observationSchema's rule for one field, where the value is present; unit only as a string (complete() checks it against the kind). */
function validField(key: string, value: unknown): boolean {
  switch (key) {
    case "tenant":
    case "deviceId":
    case "source":
    case "meterSerial":
      return isIdentifier(value);
    case "kind":
      return typeof value === "string" && Object.hasOwn(kinds, value);
    case "value":
      return typeof value === "number" && Number.isFinite(value);
    case "unit":
      return typeof value === "string";
    case "observedAt":
    case "receivedAt":
      return isInstant(value);
    case "seq":
      return Number.isSafeInteger(value) && (value as number) >= 0;
    case "location": {
      if (!isObject(value)) return false;
      let keys = 0;
      for (const _ in value) keys++;
      return keys === 2 && inRange(value.lat, -90, 90) && inRange(value.lon, -180, 180);
    }
    case "district":
      return typeof value === "string" && value.length >= 1 && value.length <= 64;
    case "privacy":
      return value === "public" || value === "personal";
    case "channel":
      return isIdentifier(value, MAX_CHANNEL_LENGTH);
    case "site":
      return isIdentifier(value, MAX_SITE_LENGTH);
    default:
      return false;
  }
}

/** Every field an observation must have is there, its unit its kind's (each present field already valid). */
const complete = (o: Record<string, unknown>) =>
  o.tenant !== undefined &&
  o.deviceId !== undefined &&
  o.source !== undefined &&
  o.observedAt !== undefined &&
  o.receivedAt !== undefined &&
  o.value !== undefined &&
  o.kind !== undefined &&
  o.unit === kinds[o.kind as keyof typeof kinds].unit;

/**
 * observationSchema's rules written out, for a value JSON.parse returned: true
 * only where the schema would accept it and return the same object (privacy
 * defaulted). Stricter where that is simpler (a location with other keys, which
 * the schema would strip): false never refuses by itself, it only sends the
 * record to the schema.
 */
function isPlainObservation(record: Record<string, unknown>): boolean {
  for (const key in record) if (!validField(key, record[key])) return false;
  return complete(record);
}

const SHAREABLE = new Set<string>(SHAREABLE_FIELDS);

/**
 * A v4 record's observations where observationV4Schema would return the same,
 * checking what the readings share once; undefined where it is not that simple,
 * for the schema to decide.
 */
function plainObservationsV4(record: unknown): Observation[] | undefined {
  if (!isObject(record)) return undefined;
  const readings = record.readings;
  if (!Array.isArray(readings) || readings.length === 0) return undefined;
  const shared: Record<string, unknown> = {};
  for (const key in record) {
    if (key === "readings") continue;
    const value = record[key];
    if (!SHAREABLE.has(key) || !validField(key, value)) return undefined;
    shared[key] = value;
  }
  const observations = new Array<Observation>(readings.length);
  for (let i = 0; i < readings.length; i++) {
    const reading: unknown = readings[i];
    if (!isObject(reading)) return undefined;
    for (const key in reading) if (!validField(key, reading[key])) return undefined;
    // The reading becomes the observation: JSON.parse made it, nothing else holds it.
    const observation = reading;
    for (const key in shared) if (observation[key] === undefined) observation[key] = shared[key];
    if (observation.unit === undefined && typeof observation.kind === "string")
      observation.unit = kinds[observation.kind as keyof typeof kinds].unit;
    if (!complete(observation)) return undefined;
    if (observation.privacy === undefined) observation.privacy = UNDECLARED_PRIVACY;
    observations[i] = observation as Observation;
  }
  return observations;
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
  const record = parsedRecord(value);
  if (!isObject(record) || !isPlainObservation(record)) return parseObservation(value);
  if (record.privacy === undefined) record.privacy = UNDECLARED_PRIVACY;
  return record as Observation;
}

/**
 * The observations of a record of any version: a v3 record's list is checked item by
 * item as readObservationRecord checks one, and goes whole through the list schema
 * when any item does not pass; a v4 record likewise, what its readings share checked
 * once; a v1 or v2 record (or one without the header) is read by readObservationRecord.
 */
export function readObservationRecords(value: string | Buffer, contentType: string | undefined): Observation[] {
  if (contentType === OBSERVATION_V4_SCHEMA_ID)
    return plainObservationsV4(parsedRecord(value)) ?? parseObservationV4(value);
  if (contentType !== OBSERVATION_V3_SCHEMA_ID) return [readObservationRecord(value, contentType)];
  const list = parsedRecord(value);
  if (!Array.isArray(list) || list.length === 0) return parseObservationList(value);
  for (const item of list) if (!isObject(item) || !isPlainObservation(item)) return parseObservationList(value);
  for (const item of list) if (item.privacy === undefined) item.privacy = UNDECLARED_PRIVACY;
  return list as Observation[];
}
