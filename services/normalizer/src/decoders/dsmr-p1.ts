import { DecodeError, excerpt } from "@stadtfluss/errors";
import { kindInfo, toCanonicalUnit } from "@stadtfluss/schemas";
import type { Decoder, Reading } from "../raw-record.ts";
import { type CosemObject, parseP1Timestamp, parseQuantity, type Quantity, readP1Telegram } from "./obis.ts";

/**
 * DSMR P1 telegrams (Dutch DSMR 4 and 5.0.2, Belgian e-MUCS H) as P1 readers
 * publish them: the raw text from `/` to `!CRC`. The CRC is checked first.
 *
 * - Electricity registers carry the telegram's time (0-0:1.0.0); M-Bus readings
 *   (gas, water) carry their own capture time, which is often minutes older.
 * - Totals: 1-0:1.8.0 / 2.8.0 where the meter sends them, otherwise the sum of
 *   its tariff registers (1-0:1.8.1 + 1.8.2 + ...).
 * - Power: import minus export (1-0:1.7.0 − 2.7.0, per phase 21 − 22, 41 − 42,
 *   61 − 62), so feeding in is negative; a side the meter does not send counts 0.
 * - M-Bus channel n: 0-n:24.2.1 (or the Belgian 0-n:24.2.3) is gas for device
 *   type 003 and water for 007 (0-n:24.1.0); heat, other types and readings
 *   without a unit (the placeholder of an absent device) are unmapped. The
 *   channel number is the reading's sensor: two gas meters on one P1 port are
 *   channels `1` and `2`, a single one keeps its untagged series.
 * - Power quality: the sag and swell counters per phase (32.32.0 ... 72.36.0)
 *   and the power failure counters (0-0:96.7.21, 0-0:96.7.9) carry no unit in
 *   the telegram; they are counts. The failure log 1-0:99.97.0 becomes its
 *   number of entries and the duration of its most recent failure (by end
 *   time), both at the telegram's time: the log's own times are months old, and
 *   a new failure shows as a rising counter and a new last duration.
 * - Device id: the record key (the P1 reader's topic), since the reader stays
 *   with the connection when the meter is exchanged. Without a key, the
 *   equipment id 0-0:96.1.1 decoded from hex (raw hex if that is not readable).
 *   With a key, the equipment id is the electricity readings' meter serial; an
 *   M-Bus meter's own 0-n:96.1.0 is always its readings' serial. So an exchange
 *   behind the same reader shows.
 * - Every other object is listed in `unmapped` by its OBIS reference.
 */

interface Term {
  readonly obis: string;
  readonly sign: 1 | -1;
}

interface Register {
  readonly kind: string;
  /** Added with their sign; the reading exists when the telegram has any of them. */
  readonly terms: readonly Term[] | ((objects: ReadonlyMap<string, CosemObject>) => Term[]);
}

const plus = (obis: string) => ({ obis, sign: 1 as const });
const minus = (obis: string) => ({ obis, sign: -1 as const });
const TARIFF_IMPORT = /^1-0:1\.8\.[1-9]$/;
const TARIFF_EXPORT = /^1-0:2\.8\.[1-9]$/;

/** The electricity registers, in the order the readings are reported. */
const REGISTERS: readonly Register[] = [
  { kind: "energy.active_import", terms: (objects) => totalTerms(objects, "1-0:1.8.0", TARIFF_IMPORT) },
  { kind: "energy.active_import_t1", terms: [plus("1-0:1.8.1")] },
  { kind: "energy.active_import_t2", terms: [plus("1-0:1.8.2")] },
  { kind: "energy.active_export", terms: (objects) => totalTerms(objects, "1-0:2.8.0", TARIFF_EXPORT) },
  { kind: "energy.active_export_t1", terms: [plus("1-0:2.8.1")] },
  { kind: "energy.active_export_t2", terms: [plus("1-0:2.8.2")] },
  { kind: "energy.active_power", terms: [plus("1-0:1.7.0"), minus("1-0:2.7.0")] },
  { kind: "energy.active_power_l1", terms: [plus("1-0:21.7.0"), minus("1-0:22.7.0")] },
  { kind: "energy.active_power_l2", terms: [plus("1-0:41.7.0"), minus("1-0:42.7.0")] },
  { kind: "energy.active_power_l3", terms: [plus("1-0:61.7.0"), minus("1-0:62.7.0")] },
  { kind: "energy.voltage_l1", terms: [plus("1-0:32.7.0")] },
  { kind: "energy.voltage_l2", terms: [plus("1-0:52.7.0")] },
  { kind: "energy.voltage_l3", terms: [plus("1-0:72.7.0")] },
  { kind: "energy.current_l1", terms: [plus("1-0:31.7.0")] },
  { kind: "energy.current_l2", terms: [plus("1-0:51.7.0")] },
  { kind: "energy.current_l3", terms: [plus("1-0:71.7.0")] },
];

/** Counts without a unit in the telegram (DSMR 5.0.2, table 6.1), in the order reported. */
const COUNTERS: ReadonlyArray<readonly [obis: string, kind: string]> = [
  ["0-0:96.7.21", "energy.power_failures"],
  ["0-0:96.7.9", "energy.long_power_failures"],
  ["1-0:32.32.0", "energy.voltage_sags_l1"],
  ["1-0:52.32.0", "energy.voltage_sags_l2"],
  ["1-0:72.32.0", "energy.voltage_sags_l3"],
  ["1-0:32.36.0", "energy.voltage_swells_l1"],
  ["1-0:52.36.0", "energy.voltage_swells_l2"],
  ["1-0:72.36.0", "energy.voltage_swells_l3"],
];

const FAILURE_LOG = "1-0:99.97.0";

/** M-Bus device types (EN 13757-3) that have a kind. */
const MBUS_KINDS: Readonly<Record<number, string>> = { 3: "gas.volume", 7: "water.volume" };

export const dsmrP1: Decoder = {
  format: "dsmr-p1",
  decode(record) {
    const telegram = readP1Telegram(record.value);
    const objects = new Map(telegram.objects.map((o) => [o.obis, o] as const));
    const used = new Set<string>(["0-0:1.0.0"]);
    const clock = objects.get("0-0:1.0.0");
    // DSMR 2.2 and 3 had no telegram time; they are refused for their missing CRC anyway.
    const observedAt = clock ? parseP1Timestamp(clock.values[0] ?? "", clock.obis) : record.receivedAt;

    const measured: Measured[] = [];
    for (const { kind, terms } of REGISTERS) {
      const present = (typeof terms === "function" ? terms(objects) : terms).filter((t) => objects.has(t.obis));
      if (present.length === 0) continue;
      for (const t of present) used.add(t.obis);
      measured.push({ kind, quantity: combine(kind, present, objects), observedAt });
    }
    // Tariffs 3 and up count towards the total but have no kind of their own.
    for (const obis of objects.keys()) if (/^1-0:[12]\.8\.[3-9]$/.test(obis)) used.delete(obis);
    measured.push(...counterReadings(objects, used, observedAt), ...failureLogReadings(objects, used, observedAt));

    const equipment = objects.get("0-0:96.1.1");
    const deviceId = record.key === undefined ? equipmentId(equipment) : undefined;
    const serial = meterSerialOf(equipment);
    if (deviceId !== undefined || serial !== undefined) used.add("0-0:96.1.1");
    const electricity: Reading[] = measured.map(({ kind, quantity, observedAt }) => ({
      ...(deviceId === undefined ? {} : { deviceId }),
      kind,
      value: quantity.value,
      unit: quantity.unit ?? "",
      observedAt,
      // The serial is the device id itself without a key: kept only where it would be lost.
      ...(deviceId === undefined && serial !== undefined ? { meterSerial: serial } : {}),
    }));
    const mbus: Reading[] = mbusReadings(objects, used).map(({ kind, quantity, observedAt, sensor, serial }) => ({
      ...(deviceId === undefined ? {} : { deviceId }),
      kind,
      value: quantity.value,
      unit: quantity.unit ?? "",
      observedAt,
      sensor,
      // Never the device id, so kept with or without a key: a gas meter is exchanged on its own.
      ...(serial === undefined ? {} : { meterSerial: serial }),
    }));
    const readings = [...electricity, ...mbus];
    const unmapped = telegram.objects.map((o) => o.obis).filter((obis) => !used.has(obis));
    return { readings, unmapped };
  },
};

interface Measured {
  readonly kind: string;
  readonly quantity: Quantity;
  readonly observedAt: Date;
}

function counterReadings(objects: ReadonlyMap<string, CosemObject>, used: Set<string>, observedAt: Date): Measured[] {
  const readings: Measured[] = [];
  for (const [obis, kind] of COUNTERS) {
    const object = objects.get(obis);
    if (!object) continue;
    const text = object.values[0] ?? "";
    const quantity = parseQuantity(text);
    if (!quantity || quantity.unit !== undefined || quantity.value < 0)
      throw new DecodeError(`${obis} is not a count: "${excerpt(text, 30)}"`);
    readings.push({ kind, quantity: { ...quantity, unit: kindInfo(kind)?.unit }, observedAt });
    used.add(obis);
  }
  return readings;
}

/**
 * `1-0:99.97.0(2)(0-0:96.7.19)(101208152415W)(0000000240*s)(101208151004W)(0000000301*s)`:
 * the number of entries, the OBIS of the entries' format, then end time and
 * duration of each failure. A log that does not read so stays unmapped (listed),
 * rather than failing the telegram's registers.
 */
function failureLogReadings(
  objects: ReadonlyMap<string, CosemObject>,
  used: Set<string>,
  observedAt: Date,
): Measured[] {
  const log = objects.get(FAILURE_LOG);
  if (!log) return [];
  const [countText = "", , ...pairs] = log.values;
  const count = /^\d{1,4}$/.test(countText) ? Number(countText) : undefined;
  if (count === undefined || pairs.length !== 2 * count) return [];
  let last: { end: number; duration: Quantity } | undefined;
  for (let i = 0; i < pairs.length; i += 2) {
    const duration = parseQuantity(pairs[i + 1] ?? "");
    if (!duration?.unit) return [];
    let end: number;
    try {
      end = parseP1Timestamp(pairs[i] ?? "", FAILURE_LOG).getTime();
    } catch {
      return [];
    }
    if (!last || end > last.end) last = { end, duration };
  }
  used.add(FAILURE_LOG);
  const entries = { value: count, unit: kindInfo("energy.power_failure_log_entries")?.unit, decimals: 0 };
  return [
    { kind: "energy.power_failure_log_entries", quantity: entries, observedAt },
    ...(last ? [{ kind: "energy.last_power_failure_duration", quantity: last.duration, observedAt }] : []),
  ];
}

function totalTerms(objects: ReadonlyMap<string, CosemObject>, total: string, tariff: RegExp): Term[] {
  if (objects.has(total)) return [plus(total)];
  return [...objects.keys()].filter((obis) => tariff.test(obis)).map(plus);
}

/**
 * Meters send a few decimals; a double holds no more than 15 anyway, and
 * Number#toFixed refuses more than 100 (a garbled register may have them).
 */
const MAX_DECIMALS = 15;

/** The signed sum of the registers, in the meter's unit (or the kind's, where the meter mixes units). */
function combine(kind: string, terms: readonly Term[], objects: ReadonlyMap<string, CosemObject>): Quantity {
  const quantities = terms.map((t) => ({ ...t, quantity: registerQuantity(objects.get(t.obis)) }));
  const [only, ...others] = quantities;
  // "+ 0" keeps an export of zero from becoming -0.
  if (only && others.length === 0) return { ...only.quantity, value: only.sign * only.quantity.value + 0 };
  const first = only?.quantity;
  const decimals = Math.min(Math.max(...quantities.map((q) => q.quantity.decimals)), MAX_DECIMALS);
  const units = new Set(quantities.map((q) => q.quantity.unit));
  if (units.size === 1) {
    const sum = quantities.reduce((acc, q) => acc + q.sign * q.quantity.value, 0);
    // toFixed drops the binary noise of the sum; the meter's resolution is kept.
    return { value: Number(sum.toFixed(decimals)), unit: first?.unit, decimals };
  }
  let unit: string | undefined;
  let sum = 0;
  for (const q of quantities) {
    const canonical = toCanonicalUnit(kind, q.quantity.value, q.quantity.unit ?? "");
    unit = canonical.unit;
    sum += q.sign * canonical.value;
  }
  // The units of one telegram differ by factors of 1000 (W and kW, Wh and kWh).
  return { value: Number(sum.toFixed(decimals + 3)), unit, decimals: decimals + 3 };
}

function registerQuantity(object: CosemObject | undefined): Quantity {
  if (!object) throw new DecodeError("internal: register vanished");
  const text = object.values.at(-1) ?? "";
  const quantity = parseQuantity(text);
  if (!quantity?.unit) throw new DecodeError(`${object.obis} is not a number with a unit: "${excerpt(text, 30)}"`);
  return quantity;
}

function mbusReadings(objects: ReadonlyMap<string, CosemObject>, used: Set<string>) {
  const readings: (Measured & { sensor: string; serial: string | undefined })[] = [];
  for (let channel = 1; channel <= 4; channel++) {
    const typeObject = objects.get(`0-${channel}:24.1.0`);
    const kind = typeObject ? MBUS_KINDS[Number.parseInt(typeObject.values[0] ?? "", 10)] : undefined;
    // The Dutch meters send 24.2.1, the Belgian ones 24.2.3 for gas.
    const reading = objects.get(`0-${channel}:24.2.1`) ?? objects.get(`0-${channel}:24.2.3`);
    if (!kind || !reading || !typeObject) continue;
    const [stamp, value] = reading.values;
    const quantity = parseQuantity(value ?? "");
    if (!quantity?.unit) continue;
    readings.push({
      kind,
      quantity,
      observedAt: parseP1Timestamp(stamp ?? "", reading.obis),
      sensor: String(channel),
      serial: meterSerialOf(objects.get(`0-${channel}:96.1.0`)),
    });
    used.add(reading.obis);
    used.add(typeObject.obis);
    if (readings.at(-1)?.serial !== undefined) used.add(`0-${channel}:96.1.0`);
  }
  return readings;
}

const IDENTIFIER = /^[A-Za-z0-9][A-Za-z0-9._:@-]*$/;

/** 0-0:96.1.1 (an M-Bus meter's 0-n:96.1.0) is the meter's serial number as hex-encoded ASCII. */
function equipmentId(object: CosemObject | undefined): string | undefined {
  const hex = object?.values[0];
  if (!hex) return undefined;
  const text = /^([0-9A-Fa-f]{2})+$/.test(hex) ? Buffer.from(hex, "hex").toString("latin1") : "";
  return IDENTIFIER.test(text) ? text : hex;
}

/** A serial that is no identifier (garbled, too long) is left out rather than failing the readings. */
function meterSerialOf(object: CosemObject | undefined): string | undefined {
  const serial = equipmentId(object);
  return serial !== undefined && serial.length <= 128 && IDENTIFIER.test(serial) ? serial : undefined;
}
