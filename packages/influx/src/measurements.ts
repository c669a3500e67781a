import { kinds } from "@stadtfluss/schemas";
import { measurementOf } from "./observation-point.ts";

/** Every measurement observations are written to: one per domain of the kinds catalogue. */
export const measurements: readonly string[] = [...new Set(Object.keys(kinds).map(measurementOf))];

/**
 * The aggregator's progress, kept in each tenant's `open` database beside the
 * aggregates: state, not a dataset, so the open-data API leaves it out.
 */
export const RUN_MARKER_MEASUREMENT = "aggregator_run";
