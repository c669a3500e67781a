import { DecodeError, excerpt } from "@stadtfluss/errors";
import type { Decoder, Reading, ReadingDraft } from "../raw-record.ts";
import { leaves, valueAt } from "./json-paths.ts";
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
    const used = new Set<string>();
    const take = (path: string) => {
      used.add(path);
      return valueAt(json, path);
    };

    const observedAt = type.timePath ? timeAt(take(type.timePath), type.timePath, context.timeZone, record) : undefined;
    const seq = type.seqPath === undefined ? undefined : seqAt(take(type.seqPath), type.seqPath);
    const deviceId = type.deviceIdPath === undefined ? undefined : idAt(take(type.deviceIdPath), type.deviceIdPath);
    const meterSerial = type.meterSerialPath === undefined ? undefined : serialAt(take(type.meterSerialPath));
    // A serial left out is listed as unmapped, as the other decoders list it.
    if (type.meterSerialPath !== undefined && meterSerial === undefined) used.delete(type.meterSerialPath);

    const readings: Reading[] = [];
    for (const field of type.fields) {
      const value = take(field.path);
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
    const unmapped = leaves(json)
      .filter(([path, value]) => typeof value === "number" && !used.has(path))
      .map(([path]) => path);
    return { readings, unmapped };
  },
};

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
