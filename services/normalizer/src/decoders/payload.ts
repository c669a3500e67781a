import { DecodeError } from "@stadtfluss/errors";
import type { z } from "zod";

/** Shared by the decoders: JSON parsing, timestamps and readable zod reasons. */

export function parseJson(value: Buffer): unknown {
  try {
    return JSON.parse(value.toString("utf8"));
  } catch (error) {
    throw new DecodeError(`payload is not JSON: ${(error as Error).message}`);
  }
}

const ISO_WITH_OFFSET = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/;

/**
 * ISO 8601 with an offset, or epoch seconds or milliseconds (told apart by
 * size: seconds stay below 1e11 until the year 5138).
 */
export function parseTime(value: string | number, field: string): Date {
  if (typeof value === "number") {
    if (!Number.isFinite(value) || value < 0) throw new DecodeError(`${field} is not a valid epoch time`);
    return new Date(value < 1e11 ? value * 1000 : value);
  }
  if (!ISO_WITH_OFFSET.test(value))
    throw new DecodeError(`${field} must be ISO 8601 with an offset, got "${value.slice(0, 40)}"`);
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) throw new DecodeError(`${field} is not a valid time: "${value.slice(0, 40)}"`);
  return date;
}

export function zodReason(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((issue) => `${issue.path.length > 0 ? issue.path.join(".") : "payload"}: ${issue.message}`)
    .join("; ");
}
