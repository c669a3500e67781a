import { METER_SERIAL_FIELD, quantityOf } from "@stadtfluss/influx";
import { type Kind, kinds } from "@stadtfluss/schemas";

/** The measurement household meters write to. */
export const ENERGY_MEASUREMENT = "energy";

/** The meter's own serial number, stored with its readings by the writer where the meter sends it. */
export const SERIAL_COLUMN = METER_SERIAL_FIELD;

/** The energy registers of the kinds catalogue: the cumulative kinds of the `energy` domain. */
export const REGISTER_KINDS = (Object.keys(kinds) as Kind[]).filter(
  (kind) => kind.startsWith(`${ENERGY_MEASUREMENT}.`) && "cumulative" in kinds[kind],
);

/** `active_import`, `active_import_t1`, ...: the fields as InfluxDB holds them. */
export const REGISTER_FIELDS: readonly string[] = REGISTER_KINDS.map(quantityOf);

/** What a load profile shows: the meter totals, import and export apart. */
export const IMPORT_FIELD = quantityOf("energy.active_import" satisfies Kind);
export const EXPORT_FIELD = quantityOf("energy.active_export" satisfies Kind);

/** Voltage and current per phase. */
export const PHASE_FIELDS: readonly string[] = (
  [
    "energy.voltage_l1",
    "energy.voltage_l2",
    "energy.voltage_l3",
    "energy.current_l1",
    "energy.current_l2",
    "energy.current_l3",
  ] as const satisfies readonly Kind[]
).map(quantityOf);

/** The UCUM unit of a field of the energy measurement, as the catalogue gives it. */
export function unitOf(field: string): string {
  return kinds[`${ENERGY_MEASUREMENT}.${field}` as Kind]?.unit ?? "";
}
