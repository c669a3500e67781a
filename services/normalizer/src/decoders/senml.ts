import { DecodeError, excerpt } from "@stadtfluss/errors";
import type { DeviceType } from "@stadtfluss/registry";
import { z } from "zod";
import type { Decoder, DecoderContext, Reading } from "../raw-record.ts";
import { parseJson, zodReason } from "./payload.ts";

/**
 * SenML JSON (RFC 8428, `application/senml+json`): an array of records whose
 * base fields (`bn`, `bt`, `bu`, `bv`, `bs`, `bver`) carry over to the records
 * after them. Records are resolved as section 4.6 says, then mapped to kinds.
 *
 * - Device id: the base name in effect with one trailing separator (`:`, `/`,
 *   `.`, `_`, `-`) removed (`urn:dev:ow:10e2073a01080063:` → `urn:dev:ow:10e2073a01080063`),
 *   so a pack that collects several devices keeps them apart. A record without
 *   a base name belongs to the record key (the device of the MQTT topic).
 * - Mapping: with the device type's `fields`, only those: a field's `path` is
 *   the record's name without the base name (its `n`, `""` when it has none),
 *   and its `unit` must equal the record's unit where the record states one;
 *   the field's `channel` tells sensors of one kind apart.
 *   Without fields, a conservative table: units that say the quantity (`%RH`,
 *   `%EL`) and units whose name says it (`Cel` named `temperature`/`temp`,
 *   `ug/m3` named `pm10`, `V` named `voltage`, `A` named `current`, `Hz` named
 *   `frequency`, `/` named `power_factor`, ...). Everything else is unmapped:
 *   `W`, `V`, `A` or `m3` alone do not say which register, phase or medium
 *   they are, and a voltage or current named without a phase is the device's
 *   own (`energy.voltage`, `energy.current`), not a phase's. A sensor
 *   index before the quantity's name (`0/temperature`, `1/temperature`, as
 *   LwM2M numbers instances) is the reading's sensor.
 * - One name is one sensor: records of one name and time are one point, and a
 *   pack with several of them (times left out) is refused by normalize.
 * - String and data values, booleans without a field, sums (`s`, `bs`) and
 *   unmapped numbers are listed in `unmapped` as `name [unit]`; the update time
 *   `ut` is ignored.
 */

/** RFC 8428 section 4.4: a reader must not use a pack of a newer version. */
const SUPPORTED_VERSION = 10;
/** Section 4.5.3: smaller times are seconds relative to "now". */
const RELATIVE_TIME_LIMIT = 2 ** 28;
/** Section 4.5.1: the characters a resolved name may hold. */
const NAME = /^[A-Za-z0-9][A-Za-z0-9\-:./_]*$/;
/** A sensor index: a short number, so that a device has a bounded number of them. */
const SENSOR_INDEX = /^\d{1,3}$/;

const recordSchema = z.looseObject({
  bn: z.string().optional(),
  bt: z.number().optional(),
  bu: z.string().optional(),
  bv: z.number().optional(),
  bs: z.number().optional(),
  bver: z.number().int().positive().optional(),
  n: z.string().optional(),
  u: z.string().optional(),
  v: z.number().optional(),
  vs: z.string().optional(),
  vb: z.boolean().optional(),
  vd: z.string().optional(),
  s: z.number().optional(),
  t: z.number().optional(),
  ut: z.number().optional(),
});

type SenmlRecord = z.infer<typeof recordSchema>;

export type SenmlValue =
  | { readonly type: "number"; readonly value: number }
  | { readonly type: "boolean"; readonly value: boolean }
  | { readonly type: "string"; readonly value: string }
  | { readonly type: "data"; readonly value: string };

/** A record with its base values applied (section 4.6). */
export interface ResolvedRecord {
  /** Base name and name concatenated. */
  readonly name: string;
  /** The base name in effect, if any. */
  readonly baseName: string | undefined;
  readonly unit: string | undefined;
  readonly value: SenmlValue | undefined;
  readonly sum: number | undefined;
  readonly time: Date;
}

/**
 * Applies the base fields to every record. `now` resolves relative times.
 * A record with neither a value nor a sum only sets base fields (RFC 8428's
 * own actuation example starts with such a record) and yields nothing.
 */
export function resolveRecords(pack: unknown, now: Date): ResolvedRecord[] {
  if (!Array.isArray(pack)) {
    const legacy = typeof pack === "object" && pack !== null && "e" in pack;
    throw new DecodeError(
      legacy
        ? 'SenML JSON is an array of records (RFC 8428 section 5); this is the pre-RFC draft format with "e"'
        : "SenML JSON is an array of records (RFC 8428 section 5)",
    );
  }
  if (pack.length === 0) throw new DecodeError("SenML pack holds no records");
  const base: { bn?: string; bt?: number; bu?: string; bv?: number; bs?: number; bver?: number } = {};
  const resolved: ResolvedRecord[] = [];
  pack.forEach((raw, index) => {
    const where = `SenML record ${index + 1}`;
    const parsed = recordSchema.safeParse(raw);
    if (!parsed.success) throw new DecodeError(`${where}: ${zodReason(parsed.error)}`);
    const record = parsed.data;
    checkLabels(record, where);
    applyBase(base, record, where);

    const name = `${base.bn ?? ""}${record.n ?? ""}`;
    if (name === "") throw new DecodeError(`${where} has no name: neither bn nor n`);
    if (!NAME.test(name)) throw new DecodeError(`${where}: name "${excerpt(name, 60)}" has characters SenML forbids`);
    const value = resolvedValue(record, base.bv);
    const sum = record.s === undefined && base.bs === undefined ? undefined : (base.bs ?? 0) + (record.s ?? 0);
    if (value === undefined && sum === undefined) return;
    resolved.push({
      name,
      baseName: base.bn,
      unit: record.u ?? base.bu,
      value,
      sum,
      time: timeOf(record, base.bt, now, where),
    });
  });
  return resolved;
}

function checkLabels(record: SenmlRecord, where: string): void {
  // Section 4.4: a label ending in "_" must be understood, and none here is.
  const mustUnderstand = Object.keys(record).find((label) => label.endsWith("_"));
  if (mustUnderstand) throw new DecodeError(`${where} has the must-understand field "${excerpt(mustUnderstand)}"`);
  const values = ["v", "vs", "vb", "vd"].filter((label) => label in record);
  if (values.length > 1) throw new DecodeError(`${where} has more than one value (${values.join(", ")})`);
}

function applyBase(base: Record<string, unknown>, record: SenmlRecord, where: string): void {
  if (record.bver !== undefined) {
    if (record.bver > SUPPORTED_VERSION)
      throw new DecodeError(`${where}: version ${record.bver} is newer than ${SUPPORTED_VERSION}, the newest known`);
    if (base.bver !== undefined && base.bver !== record.bver)
      throw new DecodeError(`${where}: version ${record.bver} differs from ${base.bver} earlier in the pack`);
  }
  for (const label of ["bn", "bt", "bu", "bv", "bs", "bver"] as const)
    if (record[label] !== undefined) base[label] = record[label];
}

function resolvedValue(record: SenmlRecord, baseValue: number | undefined): SenmlValue | undefined {
  if (record.v !== undefined) return { type: "number", value: (baseValue ?? 0) + record.v };
  if (record.vb !== undefined) return { type: "boolean", value: record.vb };
  if (record.vs !== undefined) return { type: "string", value: record.vs };
  if (record.vd !== undefined) return { type: "data", value: record.vd };
  return undefined;
}

function timeOf(record: SenmlRecord, baseTime: number | undefined, now: Date, where: string): Date {
  const seconds = (baseTime ?? 0) + (record.t ?? 0);
  const millis = seconds < RELATIVE_TIME_LIMIT ? now.getTime() + seconds * 1000 : seconds * 1000;
  // Rounded: 1.276020076001e+09 s is not exact in binary.
  const time = new Date(Math.round(millis));
  // Beyond ±275760 years a Date is invalid, and later stages cannot even print it.
  if (Number.isNaN(time.getTime())) throw new DecodeError(`${where}: time ${seconds} s is out of range`);
  return time;
}

interface BuiltIn {
  readonly kind: string;
  readonly units: readonly string[];
  /** Lower-case last segments of the name; none: the unit alone decides. */
  readonly names?: readonly string[];
}

/** Units from the SenML registries (RFC 8428 section 12.1, RFC 8798 secondary units). */
const BUILT_IN: readonly BuiltIn[] = [
  { kind: "air.humidity", units: ["%RH"] },
  { kind: "device.battery", units: ["%EL"] },
  {
    kind: "air.temperature",
    units: ["Cel"],
    names: ["temperature", "temp", "air_temperature", "air-temperature", "airtemperature"],
  },
  {
    kind: "air.pressure",
    units: ["Pa", "hPa"],
    names: ["pressure", "air_pressure", "air-pressure", "barometric_pressure", "barometric-pressure"],
  },
  { kind: "air.co2", units: ["ppm"], names: ["co2"] },
  { kind: "air.pm1", units: ["ug/m3"], names: ["pm1", "pm1.0", "pm1_0"] },
  { kind: "air.pm2_5", units: ["ug/m3"], names: ["pm2.5", "pm2_5", "pm25"] },
  { kind: "air.pm4", units: ["ug/m3"], names: ["pm4", "pm4.0"] },
  { kind: "air.pm10", units: ["ug/m3"], names: ["pm10"] },
  { kind: "air.no2", units: ["ug/m3"], names: ["no2"] },
  { kind: "radio.rssi", units: ["dBm"], names: ["rssi"] },
  { kind: "radio.snr", units: ["dB"], names: ["snr"] },
  {
    kind: "device.battery_voltage",
    units: ["V", "mV"],
    names: ["battery", "battery_voltage", "battery-voltage", "vbat"],
  },
  // A voltage or current named so is the device's own: a single-phase meter, a plug, RFC 8428's 5.1.2.
  { kind: "energy.voltage", units: ["V", "mV"], names: ["voltage"] },
  { kind: "energy.current", units: ["A", "mA"], names: ["current"] },
  ...(["l1", "l2", "l3"] as const).flatMap((phase) => [
    { kind: `energy.voltage_${phase}`, units: ["V"], names: [`voltage_${phase}`, `voltage-${phase}`] },
    { kind: `energy.current_${phase}`, units: ["A"], names: [`current_${phase}`, `current-${phase}`] },
  ]),
  { kind: "energy.frequency", units: ["Hz"], names: ["frequency", "freq"] },
  { kind: "energy.power_factor", units: ["/"], names: ["power_factor", "power-factor", "powerfactor", "pf"] },
];

export const senml: Decoder = {
  format: "senml",
  decode(record, context) {
    const records = resolveRecords(parseJson(record.value), record.receivedAt);
    const readings: Reading[] = [];
    const unmapped = new Set<string>();
    for (const resolved of records) {
      const label = resolved.unit === undefined ? resolved.name : `${resolved.name} [${resolved.unit}]`;
      if (resolved.sum !== undefined) unmapped.add(`${resolved.name} (sum)`);
      if (resolved.value === undefined) continue;
      const deviceId = resolved.baseName === undefined ? undefined : deviceIdOf(resolved.baseName);
      const reading = mapRecord(resolved, typeOf(context, deviceId ?? record.key));
      if (reading) readings.push({ ...(deviceId === undefined ? {} : { deviceId }), ...reading });
      else unmapped.add(label);
    }
    return { readings, unmapped: [...unmapped] };
  },
};

function typeOf(context: DecoderContext, deviceId: string | undefined): DeviceType | undefined {
  return deviceId === undefined ? undefined : context.deviceType(deviceId);
}

function deviceIdOf(baseName: string): string {
  return /[:/._-]$/.test(baseName) ? baseName.slice(0, -1) : baseName;
}

/** The name without the base name: what a device type's field `path` names. */
function localName(resolved: ResolvedRecord): string {
  return resolved.baseName === undefined ? resolved.name : resolved.name.slice(resolved.baseName.length);
}

function mapRecord(resolved: ResolvedRecord, type: DeviceType | undefined): Omit<Reading, "deviceId"> | undefined {
  const { value, unit, time } = resolved;
  const number = value?.type === "number" ? value.value : value?.type === "boolean" ? Number(value.value) : undefined;
  if (number === undefined) return undefined;
  const fields = type?.fields ?? [];
  if (fields.length > 0) {
    const path = localName(resolved);
    const field = fields.find((f) => f.path === path && (unit === undefined || unit === f.unit));
    return (
      field && {
        kind: field.kind,
        value: number * (field.scale ?? 1),
        unit: field.unit,
        observedAt: time,
        ...(field.channel === undefined ? {} : { channel: field.channel }),
      }
    );
  }
  // Booleans have no kind of their own: only a field can say what on and off mean.
  if (value?.type !== "number" || unit === undefined) return undefined;
  const segments = localName(resolved).split(/[/:]/);
  const segment = segments.at(-1)?.toLowerCase() ?? "";
  const builtIn = BUILT_IN.find((b) => b.units.includes(unit) && (b.names === undefined || b.names.includes(segment)));
  const index = segments.at(-2);
  const sensor = index !== undefined && SENSOR_INDEX.test(index) ? { sensor: index } : {};
  return builtIn && { kind: builtIn.kind, value: number, unit, observedAt: time, ...sensor };
}
