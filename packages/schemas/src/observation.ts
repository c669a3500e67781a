import { z } from "zod";
import { kinds } from "./kinds.ts";

/** Sent as the Kafka header `content-type`-like marker of observation records. */
export const OBSERVATION_SCHEMA_ID = "stadtfluss.observation.v1";

const identifier = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:@-]*$/, "must be letters, digits and . _ : @ - only");

const instant = z.iso.datetime({ offset: true, precision: 3 });

/**
 * Observation v1: one measured value of one device at one instant, in the
 * canonical unit of its kind. The normalizer is its only producer.
 */
export const observationSchema = z
  .object({
    tenant: identifier,
    deviceId: identifier,
    kind: z.enum(Object.keys(kinds) as [keyof typeof kinds, ...(keyof typeof kinds)[]]),
    value: z.number().refine(Number.isFinite, "must be a finite number"),
    unit: z.string().min(1),
    observedAt: instant,
    receivedAt: instant,
    source: identifier,
    seq: z.number().int().nonnegative().optional(),
    location: z.object({ lat: z.number().min(-90).max(90), lon: z.number().min(-180).max(180) }).optional(),
    district: z.string().min(1).max(64).optional(),
    privacy: z.enum(["public", "personal"]).optional(),
  })
  .strict()
  .refine((o) => kinds[o.kind].unit === o.unit, {
    error: "unit must be the canonical unit of its kind",
    path: ["unit"],
  });

export type Observation = z.output<typeof observationSchema>;

export function parseObservation(json: string | Buffer): Observation {
  return observationSchema.parse(JSON.parse(json.toString()));
}

export function serializeObservation(observation: Observation): string {
  return JSON.stringify(observation);
}
