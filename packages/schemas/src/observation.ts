import { z } from "zod";
import { kinds } from "./kinds.ts";

/** Sent as the Kafka header `content-type` of an observation without a channel. */
export const OBSERVATION_SCHEMA_ID = "stadtfluss.observation.v1";
/**
 * The header of an observation with a channel. Only a reader of v2 may be sent one: a
 * v1 reader refuses the unknown field (see docs/delivery.md, "Point identity").
 */
export const OBSERVATION_V2_SCHEMA_ID = "stadtfluss.observation.v2";
/**
 * The header of a record that carries every observation of one message for one
 * device, as a JSON array of v2 observations: one Kafka record instead of one per
 * observation, which both sides pay for per record. Only a reader of v3 may be
 * sent one (docs/delivery.md, "Rollout").
 */
export const OBSERVATION_V3_SCHEMA_ID = "stadtfluss.observation.v3";
/**
 * The header of a record that carries the observations of one message and device
 * as v3 does, with what they share written once: `{ ...shared, readings: [...] }`,
 * each reading `{ kind, value, ... }` and what it does not share, its unit only
 * where it is not its kind's. Only a reader of v4 may be sent one.
 */
export const OBSERVATION_V4_SCHEMA_ID = "stadtfluss.observation.v4";

/** An id of at most `max` characters that is a valid InfluxDB tag value as it is. */
const idOfLength = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .regex(/^[A-Za-z0-9][A-Za-z0-9._:@-]*$/, "must be letters, digits and . _ : @ - only");

/** A tenant, device id or source: the registry declares ids by the same rule, so a registered id is always valid here. */
export const identifierSchema = idOfLength(128);

/** A district becomes an InfluxDB tag: bounded in length. */
export const districtSchema = z.string().min(1).max(64);

/** The longest site id: a site becomes an InfluxDB tag, bounded as a district is. */
export const MAX_SITE_LENGTH = 64;

/** A parking site (car park) a device belongs to, `parkhaus-markt`: an id, so a valid tag value as it is. */
export const siteSchema = idOfLength(MAX_SITE_LENGTH);

/** WGS 84. Unknown keys are stripped here, as observation v1 always did; the registry refuses them (`.strict()`). */
export const locationSchema = z.object({ lat: z.number().min(-90).max(90), lon: z.number().min(-180).max(180) });

export const privacySchema = z.enum(["public", "personal"]);
export type Privacy = z.output<typeof privacySchema>;

/**
 * What an observation whose device declares no privacy class is: personal, never
 * public by omission. A record written before the normalizer always set privacy
 * is read as personal too (docs/delivery.md, "Privacy").
 */
export const UNDECLARED_PRIVACY: Privacy = "personal";

/** A channel becomes an InfluxDB tag: short, so that it names a sensor of the device and nothing more. */
export const MAX_CHANNEL_LENGTH = 32;

/** What tells readings of one kind of one device apart: an M-Bus channel, a sensor index, a lane. */
export const channelSchema = idOfLength(MAX_CHANNEL_LENGTH);

const instant = z.iso.datetime({ offset: true, precision: 3 });

const v1Fields = {
  tenant: identifierSchema,
  deviceId: identifierSchema,
  kind: z.enum(Object.keys(kinds) as [keyof typeof kinds, ...(keyof typeof kinds)[]]),
  value: z.number().refine(Number.isFinite, "must be a finite number"),
  unit: z.string().min(1),
  observedAt: instant,
  receivedAt: instant,
  source: identifierSchema,
  seq: z.number().int().nonnegative().optional(),
  location: locationSchema.optional(),
  district: districtSchema.optional(),
  // Optional in what is read, so that older records stay readable; always present once parsed.
  privacy: privacySchema.default(UNDECLARED_PRIVACY),
};

const canonicalUnit = {
  error: "unit must be the canonical unit of its kind",
  path: ["unit"],
};

/**
 * Observation v1: one measured value of one device at one instant, in the
 * canonical unit of its kind. Strict, so that producers cannot drift silently:
 * what influx-writers before v2 accept.
 */
export const observationV1Schema = z
  .object(v1Fields)
  .strict()
  .refine((o) => kinds[o.kind].unit === o.unit, canonicalUnit);

/**
 * The serial number a meter sends of itself (DSMR 0-0:96.1.1, an SML server id):
 * kept beside its readings, never part of a point's identity, so that a meter
 * exchanged behind the same device id shows without starting a new series.
 */
export const meterSerialSchema = identifierSchema;

/**
 * Observation v2: v1 and an optional `channel`, where a device has several sensors
 * of one kind, an optional `meterSerial` and the registry's optional `site`. Every
 * v1 record is a v2 record, so a reader of v2 reads both.
 */
export const observationSchema = z
  .object({
    ...v1Fields,
    channel: channelSchema.optional(),
    meterSerial: meterSerialSchema.optional(),
    // Compatible, no v3: optional (every earlier record stays valid) and v2 is unreleased (docs/delivery.md, "Rollout").
    site: siteSchema.optional(),
  })
  .strict()
  .refine((o) => kinds[o.kind].unit === o.unit, canonicalUnit);

export type Observation = z.output<typeof observationSchema>;

/** v1 for a record without a channel, meter serial or site, so that such records stay what they were. */
export function observationSchemaIdOf(observation: Observation): string {
  return observation.channel === undefined && observation.meterSerial === undefined && observation.site === undefined
    ? OBSERVATION_SCHEMA_ID
    : OBSERVATION_V2_SCHEMA_ID;
}

/** Observation v3: the observations of one message and device, at least one, each a v2 observation. */
export const observationListSchema = z.array(observationSchema).min(1);

/** What a v4 record's readings may share: every field but the measured value itself. */
export const SHAREABLE_FIELDS = [
  "tenant",
  "deviceId",
  "source",
  "observedAt",
  "receivedAt",
  "seq",
  "location",
  "district",
  "privacy",
  "channel",
  "meterSerial",
  "site",
] as const satisfies ReadonlyArray<keyof Observation>;

const looseObject = z.record(z.string(), z.unknown());

/**
 * Observation v4 as written: what the readings share, and the readings, at least
 * one. Each reading with the shared fields (its own winning) and its kind's unit
 * where it names none must be a v2 observation: observationV4Schema checks that.
 */
const observationV4Envelope = z
  .object({ readings: z.array(looseObject).min(1) })
  .catchall(z.unknown())
  .superRefine((envelope, context) => {
    for (const key of Object.keys(envelope))
      if (key !== "readings" && !(SHAREABLE_FIELDS as readonly string[]).includes(key))
        context.addIssue({ code: "custom", message: `${key} is not a field the readings may share`, path: [key] });
  });

/** Observation v4: the observations of one message and device, as v3 holds them. */
export const observationV4Schema = observationV4Envelope
  .transform(({ readings, ...shared }) =>
    readings.map((reading) => {
      const kind = reading.kind;
      const unit =
        typeof kind === "string" && Object.hasOwn(kinds, kind) ? kinds[kind as keyof typeof kinds].unit : undefined;
      return { ...shared, ...reading, unit: reading.unit ?? unit };
    }),
  )
  .pipe(observationListSchema);

/** Reads v1 and v2 records alike. */
export function parseObservation(json: string | Buffer): Observation {
  return observationSchema.parse(JSON.parse(json.toString()));
}

export function serializeObservation(observation: Observation): string {
  return JSON.stringify(observation);
}

/** Reads a v3 record. */
export function parseObservationList(json: string | Buffer): Observation[] {
  return observationListSchema.parse(JSON.parse(json.toString()));
}

export function serializeObservationList(observations: readonly Observation[]): string {
  return JSON.stringify(observations);
}

/** Reads a v4 record by its schema. */
export function parseObservationV4(json: string | Buffer): Observation[] {
  return observationV4Schema.parse(JSON.parse(json.toString()));
}

const sameValue = (a: unknown, b: unknown) =>
  a === b ||
  (typeof a === "object" &&
    typeof b === "object" &&
    a !== null &&
    b !== null &&
    (a as Observation["location"])?.lat === (b as Observation["location"])?.lat &&
    (a as Observation["location"])?.lon === (b as Observation["location"])?.lon);

/** Every field of SHAREABLE_FIELDS alike, spelled out: what almost every record's observations are. */
const sharesAll = (a: Observation, b: Observation) =>
  a.tenant === b.tenant &&
  a.deviceId === b.deviceId &&
  a.source === b.source &&
  a.observedAt === b.observedAt &&
  a.receivedAt === b.receivedAt &&
  a.seq === b.seq &&
  sameValue(a.location, b.location) &&
  a.district === b.district &&
  a.privacy === b.privacy &&
  a.channel === b.channel &&
  a.meterSerial === b.meterSerial &&
  a.site === b.site;

/**
 * A v4 record of observations of one device: a field every observation holds with
 * the same value is written once, any other with its reading. The unit is left out
 * where it is its kind's, which observation v2 requires it to be.
 */
export function serializeObservationsV4(observations: readonly Observation[]): string {
  const first = observations[0];
  if (first === undefined) throw new RangeError("an observation v4 record holds at least one observation");
  let alike = true;
  for (let i = 1; i < observations.length && alike; i++) alike = sharesAll(observations[i] as Observation, first);
  // As the loops below write it (JSON.stringify leaves out what is undefined), at half the cost.
  if (alike)
    return JSON.stringify({
      tenant: first.tenant,
      deviceId: first.deviceId,
      source: first.source,
      observedAt: first.observedAt,
      receivedAt: first.receivedAt,
      seq: first.seq,
      location: first.location,
      district: first.district,
      privacy: first.privacy,
      channel: first.channel,
      meterSerial: first.meterSerial,
      site: first.site,
      readings: observations.map((o) => ({
        kind: o.kind,
        value: o.value,
        unit: o.unit === kinds[o.kind]?.unit ? undefined : o.unit,
      })),
    });
  const record: Record<string, unknown> = {};
  const own: Array<keyof Observation> = [];
  for (const key of SHAREABLE_FIELDS) {
    const value = first[key];
    let shared = true;
    for (let i = 1; i < observations.length && shared; i++)
      shared = sameValue((observations[i] as Observation)[key], value);
    if (!shared) own.push(key);
    else if (value !== undefined) record[key] = value;
  }
  const readings = new Array<Record<string, unknown>>(observations.length);
  for (let i = 0; i < observations.length; i++) {
    const observation = observations[i] as Observation;
    const reading: Record<string, unknown> = { kind: observation.kind, value: observation.value };
    if (observation.unit !== kinds[observation.kind]?.unit) reading.unit = observation.unit;
    for (const key of own) if (observation[key] !== undefined) reading[key] = observation[key];
    readings[i] = reading;
  }
  record.readings = readings;
  return JSON.stringify(record);
}
