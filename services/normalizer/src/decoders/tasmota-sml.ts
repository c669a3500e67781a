import { DecodeError } from "@stadtfluss/errors";
import type { FieldMapping } from "@stadtfluss/registry";
import type { Decoder, Reading } from "../raw-record.ts";
import { leaves, valueAt } from "./json-paths.ts";
import { parseDeviceTime } from "./local-time.ts";
import { describeValue, parseJson } from "./payload.ts";

/**
 * Tasmota's Smart Meter Interface (SML) as a Tasmota device publishes it on
 * `tele/<device>/SENSOR`:
 * `{"Time":"2024-01-14T12:00:00","SML":{"Total_in":12345.678,"Total_out":1.2,"Power_curr":523}}`.
 * The reply to `Status 8`/`Status 10` (`{"StatusSNS":{...}}` on `stat/<device>/STATUS10`)
 * is read the same way, its paths relative to `StatusSNS`.
 *
 * - The meter object's name (`SML`, `MT681`, `Haus`, even `""`) and its field
 *   names come from each meter script, so the device type's `fields`
 *   (`SML.Total_in`, `Haus.Bezug`, `HTU21.Temperature`) decide when it has
 *   some. Without fields, the names the Tasmota documentation's scripts for
 *   German meters use, in any letter case and in whichever meter object:
 *   `Total_in` (kWh, OBIS 1.8.0), `Total_out` (kWh, 2.8.0), `Power_curr` or
 *   `Power_cur` (W, 16.7.0, negative when feeding in), per phase
 *   `Voltage_L1`, `Current_L1`, `Power_L1` (and `_P1` forms), `Frequency`, and
 *   OBIS-named fields (`1_8_0`, `32_7_0`, ...); see SML_NAMES. Two meters that
 *   both carry one kind are refused as ambiguous.
 * - `ENERGY` is no meter script's object but Tasmota's own energy monitor
 *   (plugs, Shelly, PZEM): its names are fixed by the firmware (`Total` kWh,
 *   `Power` W, `Voltage` V, `Current` A, `Factor`, `Frequency` Hz). A
 *   monitor of several channels sends arrays; each element is a sensor
 *   (`1`, `2`, ...), which becomes the channel, since Tasmota's channels are
 *   phases on one device and separate loads on another.
 * - Meter serial: a meter object's `Meter_number`, `Meter_id` or `Server_id`
 *   (the SML server id, sent as hex under `@#`) is kept with the readings of
 *   that object (observation v2).
 * - `Time` is local time without offset, read in the context's time zone
 *   (with an offset under SetOption52, or `Epoch` under `Time 3`, as given).
 *   A time before 2016, when Tasmota itself takes its clock as unset, is
 *   replaced by the time the bridge received the message.
 * - Device id: the record key (the `<device>` of the topic).
 * - Every other field is listed in `unmapped` by its path.
 */

type Mapping = Omit<FieldMapping, "path">;

const kWh = (kind: string): Mapping => ({ kind, unit: "kWh" });
const W = (kind: string): Mapping => ({ kind, unit: "W" });
const V = (kind: string): Mapping => ({ kind, unit: "V" });
const A = (kind: string): Mapping => ({ kind, unit: "A" });

/**
 * Lower-case field name → kind, for meter scripts without a device type: the
 * names of the Tasmota documentation's scripts for German SML and OBIS meters
 * (docs/Smart-Meter-Interface.md) that say one register each. Names that do
 * not (`power`, `total`, `energy`, `L1`) stay unmapped.
 */
const SML_NAMES: Readonly<Record<string, Mapping>> = {
  ...Object.fromEntries(["total_in", "e_in", "energy_imported", "1_8_0"].map((n) => [n, kWh("energy.active_import")])),
  ...Object.fromEntries(
    ["total_out", "e_out", "energy_exported", "2_8_0"].map((n) => [n, kWh("energy.active_export")]),
  ),
  "1_8_1": kWh("energy.active_import_t1"),
  "1_8_2": kWh("energy.active_import_t2"),
  "2_8_1": kWh("energy.active_export_t1"),
  "2_8_2": kWh("energy.active_export_t2"),
  ...Object.fromEntries(["power_curr", "power_cur", "16_7_0"].map((n) => [n, W("energy.active_power")])),
  ...Object.fromEntries(
    ([1, 2, 3] as const).flatMap((phase) => {
      const c = 20 * phase; // OBIS C of phase L1 is 21, 31, 32, 36; L2 41, 51, 52, 56; L3 61, ...
      return [
        ...[`voltage_l${phase}`, `voltage_p${phase}`, `volt_p${phase}`, `${c + 12}_7_0`].map(
          (n) => [n, V(`energy.voltage_l${phase}`)] as const,
        ),
        ...[`current_l${phase}`, `current_p${phase}`, `amperage_p${phase}`, `${c + 11}_7_0`].map(
          (n) => [n, A(`energy.current_l${phase}`)] as const,
        ),
        ...[`power_l${phase}`, `power_p${phase}`, `${c + 16}_7_0`].map(
          (n) => [n, W(`energy.active_power_l${phase}`)] as const,
        ),
      ];
    }),
  ),
  ...Object.fromEntries(
    ["frequency", "freq", "frequenz", "14_7_0"].map((n) => [n, { kind: "energy.frequency", unit: "Hz" }]),
  ),
  ...Object.fromEntries(["power_factor", "13_7_0"].map((n) => [n, { kind: "energy.power_factor", unit: "1" }])),
};

/** Tasmota's energy monitor object and its fixed names (tasmota/tasmota_xdrv_driver/xdrv_03_energy.ino). */
const ENERGY_OBJECT = "ENERGY";
const ENERGY_NAMES: Readonly<Record<string, Mapping>> = {
  Total: kWh("energy.active_import"),
  Power: W("energy.active_power"),
  Voltage: V("energy.voltage"),
  Current: A("energy.current"),
  Factor: { kind: "energy.power_factor", unit: "1" },
  Frequency: { kind: "energy.frequency", unit: "Hz" },
};

/** Lower-case names under which meter scripts publish the meter's number or SML server id. */
const SERIAL_NAMES = new Set(["meter_number", "meter_id", "meter_nr", "server_id", "serial", "serial_number"]);
const IDENTIFIER = /^[A-Za-z0-9][A-Za-z0-9._:@-]*$/;

/** Tasmota sets its clock from NTP only to times after this (1451602800). */
const CLOCK_SET_SINCE = Date.parse("2016-01-01T00:00:00+01:00");

export const tasmotaSml: Decoder = {
  format: "tasmota-sml",
  decode(record, context) {
    const json = parseJson(record.value);
    if (!isObject(json)) throw new DecodeError("Tasmota SENSOR payload is not a JSON object");
    const sensors = isObject(json.StatusSNS) ? json.StatusSNS : json;
    const observedAt = timeOf(sensors, context.timeZone, record.receivedAt);

    const configured = record.key === undefined ? undefined : context.deviceType(record.key)?.fields;
    const byDefault = !configured || configured.length === 0;
    const fields = byDefault ? defaultFields(sensors) : configured;
    const readings: Reading[] = [];
    const used = new Set(["Time", "Epoch"]);
    const serials = meterSerials(sensors);
    for (const field of fields) {
      const value = valueAt(sensors, field.path);
      if (value === undefined) continue;
      const meter = field.path.split(".", 1)[0];
      const serial = field.path.includes(".") && meter !== undefined ? serials.get(meter) : undefined;
      const common = {
        kind: field.kind,
        unit: field.unit,
        observedAt,
        ...(field.channel === undefined ? {} : { channel: field.channel }),
        ...(serial === undefined ? {} : { meterSerial: serial.value }),
      };
      // Only Tasmota's own energy monitor sends a channel per element; a meter script never does.
      const elements = Array.isArray(value) && meter === ENERGY_OBJECT && byDefault ? value : [value];
      for (const [index, element] of elements.entries()) {
        if (typeof element !== "number" || !Number.isFinite(element))
          throw new DecodeError(`${field.path} is not a number: ${describeValue(element)}`);
        readings.push({
          ...common,
          value: element * (field.scale ?? 1),
          ...(elements === value ? { sensor: String(index + 1) } : {}),
        });
      }
      used.add(field.path);
      if (serial) used.add(serial.path);
    }
    const unmapped = leaves(sensors)
      .map(([path]) => path)
      .filter((path) => !used.has(path));
    return { readings, unmapped };
  },
};

function timeOf(sensors: Record<string, unknown>, zone: string, receivedAt: Date): Date {
  const { Time: time, Epoch: epoch } = sensors;
  let observedAt: Date;
  if (typeof time === "string") observedAt = parseDeviceTime(time, "Time", zone, receivedAt);
  else if (typeof epoch === "number") observedAt = parseDeviceTime(epoch, "Epoch", zone);
  else throw new DecodeError("Tasmota payload has neither Time nor Epoch");
  return observedAt.getTime() < CLOCK_SET_SINCE ? receivedAt : observedAt;
}

/** The default names in whichever meter object carries them; refused where two meters do. */
function defaultFields(sensors: Record<string, unknown>): FieldMapping[] {
  const fields: FieldMapping[] = [];
  for (const [meter, values] of Object.entries(sensors)) {
    if (!isObject(values)) continue;
    for (const name of Object.keys(values)) {
      const [names, key] = meter === ENERGY_OBJECT ? [ENERGY_NAMES, name] : [SML_NAMES, name.toLowerCase()];
      const mapping = Object.hasOwn(names, key) ? names[key] : undefined;
      if (!mapping) continue;
      const path = `${meter}.${name}`;
      const clash = fields.find((f) => f.kind === mapping.kind);
      if (clash)
        throw new DecodeError(
          `${clash.path} and ${path} both look like ${mapping.kind}: map this device's meters with device type fields`,
        );
      fields.push({ path, ...mapping });
    }
  }
  return fields;
}

/** Per meter object, the serial it names, where it names one that can be an identifier. */
function meterSerials(sensors: Record<string, unknown>): Map<string, { path: string; value: string }> {
  const serials = new Map<string, { path: string; value: string }>();
  for (const [meter, values] of Object.entries(sensors)) {
    if (!isObject(values)) continue;
    for (const [name, value] of Object.entries(values)) {
      if (!SERIAL_NAMES.has(name.toLowerCase())) continue;
      const text = typeof value === "number" && Number.isSafeInteger(value) && value >= 0 ? String(value) : value;
      if (typeof text === "string" && text.length <= 128 && IDENTIFIER.test(text))
        serials.set(meter, { path: `${meter}.${name}`, value: text });
    }
  }
  return serials;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
