import { DecodeError, StadtflussError } from "@stadtfluss/errors";
import { type Observation, observationSchema } from "@stadtfluss/schemas";
import type { DecodeResult, Decoder, DecoderContext, RawRecord } from "./raw-record.ts";
import { toCanonicalUnit } from "./units.ts";

/** Why a record failed, and at which stage: what the dead-letter headers say. */
export class NormalizeError extends StadtflussError {
  readonly stage: "decode" | "convert" | "validate";

  constructor(stage: NormalizeError["stage"], message: string, cause?: unknown) {
    super(message, { retriable: false, cause });
    this.stage = stage;
  }
}

export interface NormalizeOptions {
  readonly decoders: ReadonlyMap<string, Decoder>;
  readonly context: DecoderContext;
}

export interface NormalizeResult {
  readonly observations: Observation[];
  /** Payload fields that map to no kind (see DecodeResult). */
  readonly unmapped: string[];
}

/** Without a registry: no device types, Berlin time, the network server's clock. */
export const defaultDecoderContext: DecoderContext = {
  deviceType: () => undefined,
  timeZone: "Europe/Berlin",
  useGatewayTime: false,
};

/**
 * Raw record → observations v1: decode, convert to canonical units, validate.
 * All or nothing per record, so a dead letter is always the whole message.
 */
export function normalize(record: RawRecord, options: NormalizeOptions): NormalizeResult {
  const decoder = options.decoders.get(record.format);
  if (!decoder) throw new NormalizeError("decode", `no decoder for format "${record.format}"`);
  let decoded: DecodeResult;
  try {
    decoded = decoder.decode(record, options.context);
  } catch (error) {
    if (error instanceof DecodeError) throw new NormalizeError("decode", error.message, error);
    throw new NormalizeError("decode", `decoder ${decoder.format} failed: ${(error as Error).message}`, error);
  }
  if (decoded.readings.length === 0) throw new NormalizeError("decode", "payload holds no readings");

  const observations = decoded.readings.map((reading) => {
    let canonical: { value: number; unit: string };
    try {
      canonical = toCanonicalUnit(reading.kind, reading.value, reading.unit);
    } catch (error) {
      throw new NormalizeError("convert", (error as Error).message, error);
    }
    const deviceId = reading.deviceId ?? record.key;
    const candidate = {
      tenant: record.tenant,
      deviceId,
      kind: reading.kind,
      value: canonical.value,
      unit: canonical.unit,
      observedAt: reading.observedAt.toISOString(),
      receivedAt: record.receivedAt.toISOString(),
      source: record.source,
      ...(reading.seq === undefined ? {} : { seq: reading.seq }),
    };
    const result = observationSchema.safeParse(candidate);
    if (!result.success) {
      const reason = result.error.issues.map((i) => `${i.path.join(".") || "observation"}: ${i.message}`).join("; ");
      throw new NormalizeError("validate", `invalid observation: ${reason}`, result.error);
    }
    return result.data;
  });
  return { observations, unmapped: decoded.unmapped };
}
