// What a decoder reads of a device type: the contract between the registry and the normalizer's decoders.

/** `path` is a dotted path into a JSON object (`decoded.temperature`, `SML.Total_in`). */
export interface FieldMapping {
  readonly path: string;
  readonly kind: string;
  readonly unit: string;
  /** Multiplied before unit conversion (raw counts, tenths of a degree). */
  readonly scale?: number;
  /** Where a device type maps several paths to one kind: which sensor this one is. */
  readonly channel?: string;
}

/** A device type from the registry: how its payloads map to kinds. */
export interface DeviceType {
  readonly id: string;
  readonly fields?: readonly FieldMapping[];
  /** generic-json: where the time, sequence number and device id are. */
  readonly timePath?: string;
  readonly seqPath?: string;
  readonly deviceIdPath?: string;
  /** generic-json: where the meter's own serial number is, so that a meter exchanged behind the same device id shows. */
  readonly meterSerialPath?: string;
  /** A TTN Device Repository codec (`decodeUplink(input)`), as source text. */
  readonly codec?: string;
  /** How often its devices report, in milliseconds: a device silent for longer is alerted on. */
  readonly intervalMs?: number;
  /**
   * A kind its devices send with every message, which the silent-device alert counts;
   * without it, the first of `fields`. Formats that name their kinds in the payload
   * (stadtfluss-json, sensor.community) have no fields, so only this tells it.
   */
  readonly reports?: string;
}
