import { DecodeError, excerpt } from "@stadtfluss/errors";
import { toCanonicalUnit } from "@stadtfluss/schemas";
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
 * - Device id: the record key (the P1 reader's topic), since the reader stays
 *   with the connection when the meter is exchanged. Without a key, the
 *   equipment id 0-0:96.1.1 decoded from hex (raw hex if that is not readable).
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

    const measured: { kind: string; quantity: Quantity; observedAt: Date; sensor?: string }[] = [];
    for (const { kind, terms } of REGISTERS) {
      const present = (typeof terms === "function" ? terms(objects) : terms).filter((t) => objects.has(t.obis));
      if (present.length === 0) continue;
      for (const t of present) used.add(t.obis);
      measured.push({ kind, quantity: combine(kind, present, objects), observedAt });
    }
    // Tariffs 3 and up count towards the total but have no kind of their own.
    for (const obis of objects.keys()) if (/^1-0:[12]\.8\.[3-9]$/.test(obis)) used.delete(obis);
    measured.push(...mbusReadings(objects, used));

    const deviceId = record.key === undefined ? equipmentId(objects, used) : undefined;
    const readings: Reading[] = measured.map(({ kind, quantity, observedAt, sensor }) => ({
      ...(deviceId === undefined ? {} : { deviceId }),
      kind,
      value: quantity.value,
      unit: quantity.unit ?? "",
      observedAt,
      ...(sensor === undefined ? {} : { sensor }),
    }));
    const unmapped = telegram.objects.map((o) => o.obis).filter((obis) => !used.has(obis));
    return { readings, unmapped };
  },
};

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
  const readings: { kind: string; quantity: Quantity; observedAt: Date; sensor: string }[] = [];
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
    });
    used.add(reading.obis);
    used.add(typeObject.obis);
  }
  return readings;
}

const IDENTIFIER = /^[A-Za-z0-9][A-Za-z0-9._:@-]*$/;

/** 0-0:96.1.1 is the meter's serial number as hex-encoded ASCII. */
function equipmentId(objects: ReadonlyMap<string, CosemObject>, used: Set<string>): string | undefined {
  const hex = objects.get("0-0:96.1.1")?.values[0];
  if (!hex) return undefined;
  used.add("0-0:96.1.1");
  const text = /^([0-9A-Fa-f]{2})+$/.test(hex) ? Buffer.from(hex, "hex").toString("latin1") : "";
  return IDENTIFIER.test(text) ? text : hex;
}
