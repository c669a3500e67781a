import { DecodeError, errorMessage, excerpt, isRetriable } from "@stadtfluss/errors";
import type { DeviceRegistry } from "@stadtfluss/registry";
import { isoInstant, type Observation, observationSchema, toCanonicalUnit } from "@stadtfluss/schemas";
import { NormalizeError } from "./normalize-error.ts";
import { checkedObservation, type ObservationCandidate } from "./observation-check.ts";
import { channelsOf, identityProblem, type ObservationVersion } from "./point-identity.ts";
import { implausibleTime, type TimePolicy } from "./policy/time-policy.ts";
import type { DecodeResult, Decoder, DecoderContext, RawRecord } from "./raw-record.ts";
import { type Enrichment, enrichmentFor, type UnknownDevicePolicy } from "./registry/enrichment.ts";

export { NormalizeError, type NormalizeStage } from "./normalize-error.ts";
export type { ObservationVersion } from "./point-identity.ts";

export interface NormalizeOptions {
  readonly decoders: ReadonlyMap<string, Decoder>;
  /** Time zone and gateway time; its `deviceType` is replaced by the registry's when there is one. */
  readonly context: DecoderContext;
  /**
   * The registry in force, asked once per record since a reload may swap it.
   * Without one every device is accepted and nothing is added.
   */
  readonly registry?: () => DeviceRegistry;
  /** What happens to a device the registry does not know; dead-letter by default. */
  readonly unknownDevices?: UnknownDevicePolicy;
  /** Without one, times are not checked: `pnpm decode` only warns about them. */
  readonly timePolicy?: TimePolicy;
  /**
   * 1 (the default): a message whose readings need a channel is refused, since an
   * influx-writer before observation v2 would refuse the record. 2: channels are produced.
   */
  readonly observationVersion?: ObservationVersion;
  /** The most readings one message may hold (NORMALIZER_MAX_READINGS); DEFAULT_MAX_READINGS without. */
  readonly maxReadings?: number;
}

/**
 * Readings per message unless NORMALIZER_MAX_READINGS says otherwise: far above
 * what a meter or sensor sends at once (a DSMR telegram: at most 30), and small enough that
 * a message's observations (about 300 bytes each) fit in one Kafka request.
 */
export const DEFAULT_MAX_READINGS = 1_000;

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
 * Raw record → observations: decode, convert to canonical units, check the time
 * (policy), validate, check that no two readings are one point (identity), add
 * what the registry knows (enrich). All or nothing per record, so a dead letter
 * is always the whole message. Each stage runs over all readings before the next,
 * so the stage reported does not depend on the order of the readings, and only
 * well-formed device ids reach the registry.
 */
export function normalize(record: RawRecord, options: NormalizeOptions): NormalizeResult {
  const decoder = options.decoders.get(record.format);
  if (!decoder) throw new NormalizeError("decode", `no decoder for format "${excerpt(record.format)}"`);
  // A raw record written by another producer may carry a malformed stadtfluss.received_at header.
  if (Number.isNaN(record.receivedAt.getTime()))
    throw new NormalizeError("decode", "the record has no valid receive time");
  const registry = options.registry?.();
  const context = registry ? contextOf(options.context, registry, record.tenant) : options.context;

  let decoded: DecodeResult;
  try {
    decoded = decoder.decode(record, context);
  } catch (error) {
    // Not this message's fault (the codec sandbox replacing its module): the batch is tried again.
    if (isRetriable(error)) throw error;
    if (error instanceof DecodeError) throw new NormalizeError("decode", error.message, error);
    throw new NormalizeError("decode", `decoder ${decoder.format} failed: ${excerpt(errorMessage(error))}`, error);
  }
  if (decoded.readings.length === 0) throw new NormalizeError("decode", "payload holds no readings");
  const maxReadings = options.maxReadings ?? DEFAULT_MAX_READINGS;
  if (decoded.readings.length > maxReadings) {
    throw new NormalizeError(
      "decode",
      `the message holds ${decoded.readings.length} readings, more than NORMALIZER_MAX_READINGS allows (${maxReadings})`,
    );
  }

  const converted = decoded.readings.map((reading) => {
    try {
      return { reading, canonical: toCanonicalUnit(reading.kind, reading.value, reading.unit) };
    } catch (error) {
      throw new NormalizeError("convert", (error as Error).message, error);
    }
  });

  if (options.timePolicy) {
    for (const { reading } of converted) {
      const reason = implausibleTime(reading.observedAt, record.receivedAt, options.timePolicy);
      if (reason) throw new NormalizeError("policy", reason);
    }
  }

  const version = options.observationVersion ?? 1;
  const channels = channelsOf(decoded.readings, (reading) => reading.deviceId ?? record.key);
  const receivedAt = isoInstant(record.receivedAt.getTime());
  // A message's readings mostly share one Date: written once.
  let lastTime: Date | undefined;
  let lastInstant = "";
  const instantOf = (time: Date): string => {
    if (time !== lastTime) {
      const ms = time.getTime();
      lastInstant = Number.isNaN(ms) ? "invalid" : isoInstant(ms);
      lastTime = time;
    }
    return lastInstant;
  };
  const observations = converted.map(({ reading, canonical }, index) => {
    const channel = channels[index];
    // Every key, some of them undefined: one shape for every reading. The order of the
    // observation's keys is checkedObservation's, or zod's.
    const candidate = {
      tenant: record.tenant,
      deviceId: reading.deviceId ?? record.key,
      kind: reading.kind,
      channel,
      value: canonical.value,
      unit: canonical.unit,
      observedAt: instantOf(reading.observedAt),
      receivedAt,
      source: record.source,
      seq: reading.seq,
      // Observation v1 cannot carry it, and it is no reading of its own: left out until writers read v2.
      meterSerial: version === 1 ? undefined : reading.meterSerial,
      // No privacy: the schema makes it personal, and only the registry can declare a device public.
    };
    // Valid by a few direct checks, or else zod decides and names the reason.
    const checked =
      candidate.deviceId === undefined ? undefined : checkedObservation(candidate as ObservationCandidate);
    if (checked) return checked;
    const result = observationSchema.safeParse(withoutUndefined(candidate));
    if (!result.success) {
      const reason = result.error.issues.map((i) => `${i.path.join(".") || "observation"}: ${i.message}`).join("; ");
      throw new NormalizeError("validate", `invalid observation: ${reason}`, result.error);
    }
    return result.data;
  });

  const problem = identityProblem(observations, version);
  if (problem) throw new NormalizeError("identity", problem);

  if (!registry) return { observations, unmapped: decoded.unmapped };
  // The registry was validated when loaded, so what it adds keeps the observation valid.
  const unknownDevices = options.unknownDevices ?? "dead-letter";
  const enriched = observations.map((observation) =>
    withEnrichment(observation, enrichmentFor(registry, record.tenant, observation.deviceId, unknownDevices, version)),
  );
  return { observations: enriched, unmapped: decoded.unmapped };
}

let lastContext:
  | { base: DecoderContext; registry: DeviceRegistry; tenant: string; context: DecoderContext }
  | undefined;

/** The context with the registry's device types of a tenant: made once per tenant and registry, not per message. */
function contextOf(base: DecoderContext, registry: DeviceRegistry, tenant: string): DecoderContext {
  if (lastContext?.base !== base || lastContext.registry !== registry || lastContext.tenant !== tenant) {
    const context: DecoderContext = { ...base, deviceType: (deviceId) => registry.device(tenant, deviceId)?.type };
    lastContext = { base, registry, tenant, context };
  }
  return lastContext.context;
}

/**
 * The observation with what the registry adds, its keys ordered as a spread of the
 * two would order them (the new ones after the observation's own, privacy in its
 * place), without the cost of spreading a second object into a literal per observation.
 */
function withEnrichment(observation: Observation, enrichment: Enrichment): Observation {
  return Object.assign({ ...observation }, enrichment);
}

/** What zod is given: absent keys rather than undefined ones, as a spread of optional parts left them. */
function withoutUndefined(candidate: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(candidate).filter(([, value]) => value !== undefined));
}
