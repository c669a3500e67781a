import { kinds } from "@stadtfluss/schemas";
import { measurementOf } from "./observation-point.ts";

/** Every measurement observations are written to: one per domain of the kinds catalogue. */
export const measurements: readonly string[] = [...new Set(Object.keys(kinds).map(measurementOf))];
