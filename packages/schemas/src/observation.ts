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
