import { DecodeError, StadtflussError } from "@stadtfluss/errors";
import { type Observation, observationSchema } from "@stadtfluss/schemas";
import type { Decoder, RawRecord } from "./raw-record.ts";
import { toCanonicalUnit } from "./units.ts";

/** Why a record failed, and at which stage: what the dead-letter headers say. */
export class NormalizeError extends StadtflussError {
  readonly stage: "decode" | "convert" | "validate";

  constructor(stage: NormalizeError["stage"], message: string, cause?: unknown) {
    super(message, { retriable: false, cause });
    this.stage = stage;
  }
}

/**
 * Raw record → observations v1: decode, convert to canonical units, validate.
 * All or nothing per record, so a dead letter is always the whole message.
 */
export function normalize(record: RawRecord, decoders: ReadonlyMap<string, Decoder>): Observation[] {
  const decoder = decoders.get(record.format);
  if (!decoder) throw new NormalizeError("decode", `no decoder for format "${record.format}"`);
  let readings: ReturnType<Decoder["decode"]>;
  try {
    readings = decoder.decode(record);
  } catch (error) {
    if (error instanceof DecodeError) throw new NormalizeError("decode", error.message, error);
    throw new NormalizeError("decode", `decoder ${decoder.format} failed: ${(error as Error).message}`, error);
  }
  if (readings.length === 0) throw new NormalizeError("decode", "payload holds no readings");

  return readings.map((reading) => {
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
}
