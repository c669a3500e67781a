import { EXPORT_FIELD, IMPORT_FIELD, REGISTER_FIELDS } from "../meters/registers.ts";
import {
  type IntervalStatus,
  type RegisterEvent,
  type RegisterReading,
  registerProfile,
  registerTotal,
} from "./register-profile.ts";

export interface ProfileSettings {
  readonly toleranceMs: number;
  readonly maxPowerKw: number;
}

/** One row of a load profile: both directions of one interval. */
export interface LoadProfileRow {
  readonly start: number;
  readonly end: number;
  readonly import: number | null;
  readonly importStatus: IntervalStatus;
  readonly export: number | null;
  readonly exportStatus: IntervalStatus;
}

export interface MeterEvent extends RegisterEvent {
  readonly register: string;
}

export interface MeterProfile {
  readonly rows: readonly LoadProfileRow[];
  readonly events: readonly MeterEvent[];
  /** Per register (`active_import`, `active_import_t1`, ...) that the meter has in the period. */
  readonly totals: Readonly<Record<string, { consumption: number; intervals: number; missing: number }>>;
}

/**
 * A meter's load profile over `boundaries` from its register readings (per
 * field, oldest first, starting up to the tolerance before the first boundary):
 * import and export per interval, every register's total, and every reset or
 * exchange seen in any register.
 */
export function meterProfile(
  readings: ReadonlyMap<string, readonly RegisterReading[]>,
  boundaries: readonly number[],
  settings: ProfileSettings,
): MeterProfile {
  const options = { boundaries, toleranceMs: settings.toleranceMs, maxPowerKw: settings.maxPowerKw };
  const profiles = new Map(
    REGISTER_FIELDS.map((field) => [field, registerProfile(readings.get(field) ?? [], options)] as const),
  );
  const imports = profiles.get(IMPORT_FIELD)?.intervals ?? [];
  const exports = profiles.get(EXPORT_FIELD)?.intervals ?? [];
  const rows = imports.map((interval, n) => {
    const exported = exports[n];
    return {
      start: interval.start,
      end: interval.end,
      import: interval.consumption,
      importStatus: interval.status,
      export: exported?.consumption ?? null,
      exportStatus: exported?.status ?? "gap",
    };
  });
  const events: MeterEvent[] = [];
  const totals: Record<string, { consumption: number; intervals: number; missing: number }> = {};
  for (const [field, profile] of profiles) {
    for (const event of profile.events) events.push({ register: field, ...event });
    // Tariff registers a meter does not have stay out of its totals.
    if ((readings.get(field) ?? []).length > 0 || field === IMPORT_FIELD || field === EXPORT_FIELD)
      totals[field] = registerTotal(profile.intervals);
  }
  events.sort((a, b) => a.at - b.at || a.register.localeCompare(b.register));
  return { rows, events, totals };
}
