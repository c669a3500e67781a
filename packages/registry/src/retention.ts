import { z } from "zod";
import type { DataClass } from "./database-name.ts";

const HOUR_MS = 3_600_000;
const UNIT_MS = { h: HOUR_MS, d: 24 * HOUR_MS, w: 7 * 24 * HOUR_MS } as const;

/** How long a data class is kept, in milliseconds; null keeps it for ever. */
export type RetentionMs = number | null;

/**
 * The platform's retention unless the registry says otherwise. Personal data the
 * shortest (the GDPR's storage limitation): 13 months, so that a year can be
 * compared with the one before; public raw data 5 years; open aggregates for ever.
 */
export const DEFAULT_RETENTION: Readonly<Record<DataClass, RetentionMs>> = {
  personal: 396 * UNIT_MS.d,
  public: 1827 * UNIT_MS.d,
  open: null,
};

/**
 * `396d`, `52w`, `720h` or `infinite`. Hours, days and weeks only: a month or a
 * year has no fixed length, and InfluxDB counts in these units too. At least one
 * hour, InfluxDB 1.x's shortest retention.
 */
export const retentionSchema = z.string().transform((text, ctx): RetentionMs => {
  if (text === "infinite") return null;
  const match = /^([1-9][0-9]{0,5})([hdw])$/.exec(text);
  if (!match) {
    ctx.addIssue({ code: "custom", message: 'must be a duration such as 396d, 52w or 720h, or "infinite"' });
    return z.NEVER;
  }
  return Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
});

export const retentionByClassSchema = z.strictObject({
  public: retentionSchema.optional(),
  personal: retentionSchema.optional(),
  open: retentionSchema.optional(),
});

/** `396d`: how a retention reads in the registry and in messages. */
export function describeRetention(ms: RetentionMs): string {
  if (ms === null) return "infinite";
  return ms % UNIT_MS.d === 0 ? `${ms / UNIT_MS.d}d` : `${ms / HOUR_MS}h`;
}
