import { DecodeError, excerpt } from "@stadtfluss/errors";
import type { DeviceType } from "@stadtfluss/registry";
import type { Decoder, Reading, ReadingDraft } from "../raw-record.ts";
import { unmappedNumbers, valueAt } from "./json-paths.ts";
import { parseDeviceTime } from "./local-time.ts";
import { describeValue, parseJson } from "./payload.ts";

/**
 * Any JSON object, read entirely through the device type of the record key:
 * `fields` (dotted path → kind, unit, scale), `timePath` (ISO 8601 with an
 * offset, epoch seconds or milliseconds, or a local time read in the context's
 * zone; without it, when the bridge received the message), `seqPath` (the
 * device's message counter) and `deviceIdPath` (for a gateway that forwards
 * several devices of one type, each message naming its device) and
 * `meterSerialPath` (a meter's own serial number, a string or a whole number,
 * stored with every reading of the message so that a meter exchanged behind
 * the same device id shows; one that cannot be an identifier is left out, as
 * the DSMR and SML decoders leave it out, rather than losing the readings).
 *
 * A mapped field that is absent or `null` is skipped; booleans count as 1 and
 * 0. Every other number in the payload, however deep, is listed in `unmapped`.
 */

const NEEDS_TYPE = "generic-json needs a device type with field mappings in the registry";

export const genericJson: Decoder = {
  format: "generic-json",
  decode(record, context) {
    const type = record.key === undefined ? undefined : context.deviceType(record.key);
    if (!type?.fields || type.fields.length === 0)
      throw new DecodeError(
        `${NEEDS_TYPE} (device "${record.key === undefined ? "without id" : excerpt(record.key)}")`,
      );
    const payload = parseJson(record.value);
    if (typeof payload !== "object" || payload === null || Array.isArray(payload))
      throw new DecodeError("generic-json payload is not a JSON object");
    const json = payload as Record<string, unknown>;

    const observedAt = type.timePath
      ? timeAt(valueAt(json, type.timePath), type.timePath, context.timeZone, record)
      : undefined;
    const seq = type.seqPath === undefined ? undefined : seqAt(valueAt(json, type.seqPath), type.seqPath);
    const deviceId =
      type.deviceIdPath === undefined ? undefined : idAt(valueAt(json, type.deviceIdPath), type.deviceIdPath);
    const meterSerial = type.meterSerialPath === undefined ? undefined : serialAt(valueAt(json, type.meterSerialPath));

    const readings: Reading[] = [];
    for (const field of type.fields) {
      const value = valueAt(json, field.path);
      if (value === undefined || value === null) continue;
      const number = typeof value === "boolean" ? Number(value) : value;
      if (typeof number !== "number" || !Number.isFinite(number))
        throw new DecodeError(`${field.path} is not a number: ${describeValue(value)}`);
      const reading: ReadingDraft = {
        kind: field.kind,
        value: number * (field.scale ?? 1),
        unit: field.unit,
        observedAt: observedAt ?? record.receivedAt,
      };
      if (deviceId !== undefined) reading.deviceId = deviceId;
      if (seq !== undefined) reading.seq = seq;
      if (field.channel !== undefined) reading.channel = field.channel;
      if (meterSerial !== undefined) reading.meterSerial = meterSerial;
      readings.push(reading);
    }
    const paths = pathsOf(type);
    // A serial left out is listed as unmapped, as the other decoders list it.
    const used = type.meterSerialPath !== undefined && meterSerial === undefined ? paths.withoutSerial : paths.all;
    return { readings, unmapped: unmappedNumbers(json, used) };
  },
};

interface ReadPaths {
  readonly all: ReadonlySet<string>;
  /** Without the meter serial's path, unless a field maps it too: for a message whose serial was left out. */
  readonly withoutSerial: ReadonlySet<string>;
}

/** The paths a device type reads: the same for each of its messages, so gathered once per type. */
const readPaths = new WeakMap<DeviceType, ReadPaths>();

function pathsOf(type: DeviceType): ReadPaths {
  let paths = readPaths.get(type);
  if (paths === undefined) {
    const own = [type.timePath, type.seqPath, type.deviceIdPath].filter((path) => path !== undefined);
    const fields = (type.fields ?? []).map((field) => field.path);
    const withoutSerial = new Set(own);
    if (type.meterSerialPath !== undefined) withoutSerial.delete(type.meterSerialPath);
    for (const path of fields) withoutSerial.add(path);
    const all = new Set(withoutSerial);
    if (type.meterSerialPath !== undefined) all.add(type.meterSerialPath);
    paths = { all, withoutSerial };
    readPaths.set(type, paths);
  }
  return paths;
}

function timeAt(value: unknown, path: string, zone: string, record: { receivedAt: Date }): Date {
  if (typeof value !== "string" && typeof value !== "number")
    throw new DecodeError(`${path} (the time) is missing or neither a string nor a number`);
  return parseDeviceTime(value, path, zone, record.receivedAt);
}

function seqAt(value: unknown, path: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0)
    throw new DecodeError(`${path} (the message counter) is not a non-negative integer: ${describeValue(value)}`);
  return value;
}

const IDENTIFIER = /^[A-Za-z0-9][A-Za-z0-9._:@-]*$/;

function serialAt(value: unknown): string | undefined {
  const text = typeof value === "number" && Number.isSafeInteger(value) && value >= 0 ? String(value) : value;
  return typeof text === "string" && text.length <= 128 && IDENTIFIER.test(text) ? text : undefined;
}

function idAt(value: unknown, path: string): string {
  if (typeof value === "number" && Number.isSafeInteger(value)) return String(value);
  if (typeof value !== "string" || value === "")
    throw new DecodeError(`${path} (the device id) is missing or not a string`);
  return value;
}
