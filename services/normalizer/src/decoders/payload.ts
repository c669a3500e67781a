import { DecodeError, excerpt } from "@stadtfluss/errors";
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
    const date = Number.isFinite(value) && value >= 0 ? new Date(value < 1e11 ? value * 1000 : value) : undefined;
    // Beyond the year 275760 a Date is invalid, and later stages cannot even print it.
    if (!date || Number.isNaN(date.getTime())) throw new DecodeError(`${field} is not a valid epoch time: ${value}`);
    return date;
  }
  if (!ISO_WITH_OFFSET.test(value))
    throw new DecodeError(`${field} must be ISO 8601 with an offset, got "${excerpt(value, 40)}"`);
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) throw new DecodeError(`${field} is not a valid time: "${excerpt(value, 40)}"`);
  return date;
}

/**
 * A payload value as a reason names it, short whatever its size: JSON.stringify
 * would copy a long array whole into the dead letter, and overflows the stack
 * on deep nesting.
 */
export function describeValue(value: unknown): string {
  if (typeof value === "string") return `"${excerpt(value, 40)}"`;
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object" && value !== null) return "an object";
  return String(value);
}

/**
 * Deeper than any device's JSON; walking deeper recursively would overflow the
 * stack (a few thousand levels fit in a payload of a few kilobytes).
 */
export const MAX_NESTING = 64;

export function tooDeep(path: string): DecodeError {
  return new DecodeError(`payload nests deeper than ${MAX_NESTING} levels (at ${excerpt(path, 60)})`);
}

export function zodReason(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((issue) => `${issue.path.length > 0 ? issue.path.join(".") : "payload"}: ${issue.message}`)
    .join("; ");
}
