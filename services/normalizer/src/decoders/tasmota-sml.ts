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
 *   some. Without fields, the names the Tasmota documentation's scripts use:
 *   `Total_in` (kWh, OBIS 1.8.0), `Total_out` (kWh, 2.8.0), `Power_curr` or
 *   `Power_cur` (W, 16.7.0, negative when feeding in), in whichever meter
 *   object; two meters that both carry one of them are refused as ambiguous.
 * - `Time` is local time without offset, read in the context's time zone
 *   (with an offset under SetOption52, or `Epoch` under `Time 3`, as given).
 *   A time before 2016, when Tasmota itself takes its clock as unset, is
 *   replaced by the time the bridge received the message.
 * - Device id: the record key (the `<device>` of the topic).
 * - Every other field is listed in `unmapped` by its path.
 */

const DEFAULTS: Readonly<Record<string, Omit<FieldMapping, "path">>> = {
  Total_in: { kind: "energy.active_import", unit: "kWh" },
  Total_out: { kind: "energy.active_export", unit: "kWh" },
  Power_curr: { kind: "energy.active_power", unit: "W" },
  Power_cur: { kind: "energy.active_power", unit: "W" },
};

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
    const fields = configured && configured.length > 0 ? configured : defaultFields(sensors);
    const readings: Reading[] = [];
    const used = new Set(["Time", "Epoch"]);
    for (const field of fields) {
      const value = valueAt(sensors, field.path);
      if (value === undefined) continue;
      if (typeof value !== "number" || !Number.isFinite(value))
        throw new DecodeError(`${field.path} is not a number: ${describeValue(value)}`);
      readings.push({
        kind: field.kind,
        value: value * (field.scale ?? 1),
        unit: field.unit,
        observedAt,
        ...(field.channel === undefined ? {} : { channel: field.channel }),
      });
      used.add(field.path);
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
    for (const [name, mapping] of Object.entries(DEFAULTS)) {
      if (!(name in values)) continue;
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

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
