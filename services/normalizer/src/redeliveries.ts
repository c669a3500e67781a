import { hash } from "node:crypto";
import { Counter, type Registry } from "prom-client";
import { NormalizeError, type NormalizeOptions, type NormalizeResult, normalize } from "./normalize.ts";
import type { RawRecord } from "./raw-record.ts";

export interface RedeliverySettings {
  /** Messages remembered: at least this many, at most twice as many. */
  readonly memory: number;
  /** How much later than its first copy a redelivered copy may arrive and still be matched to it. */
  readonly windowMs: number;
}

/** A whole MQTT 5 in-flight window (65,535) of one source, with room; an hour for the bridge to come back. */
export const defaultRedeliverySettings: RedeliverySettings = { memory: 100_000, windowMs: 3_600_000 };

type Outcome = "matched" | "own_time" | "unmatched" | "refused";

/**
 * What is remembered of a message: changed in place when its key comes again (a
 * topic's next message, a packet identifier used again), so that the common case
 * allocates nothing that lives on.
 */
interface Seen {
  origin: string;
  digest: string;
  time: number;
}

/**
 * Keeps a message that the MQTT broker sent again from becoming a second point.
 *
 * A format without a clock of its own (sensor.community, generic JSON without
 * `timePath`, SenML with a relative or no base time, Tasmota with an unset clock)
 * takes the bridge's receive time as the measurement time. A copy the broker sends
 * again arrives at a new receive time, so it would be stored a second time:
 *
 * - Redelivered (MQTT DUP, with its original packet identifier): the bridge died
 *   after Kafka stored the message and before its PUBACK reached the broker. The
 *   copy gets the receive time of the first one, found by tenant, source, topic,
 *   packet identifier and payload, so its point is the same and overwrites itself.
 *   Only a first copy within `windowMs` counts: the broker reuses packet
 *   identifiers, and a copy whose first one never reached Kafka must not be taken
 *   for an identical message from long ago (a meter that stands still).
 * - Retained (sent because the bridge subscribed): a copy of the last message seen
 *   on its topic gets that message's receive time. Any other, without a time of
 *   its own, is refused with a reason (stage `policy`): its receive time says
 *   nothing about when it was measured.
 *
 * Only the flags are trusted: an identical payload without them is a new message
 * (a meter that stands still sends the same payload every time). What is
 * remembered lives in memory, bounded; a copy whose first one this process did not
 * see (a restart, a rebalance, or a first copy that never reached Kafka) is stored
 * at its own receive time and counted as `unmatched`, a possible second point.
 */
export class Redeliveries {
  /**
   * Source and packet identifier of a QoS 1 message → its origin, payload digest and
   * the receive time of its first copy. The broker gives a packet identifier to no
   * other message of the source's session while it waits for the PUBACK, so a copy
   * it sends again finds its first one here, unless a later message took the
   * identifier after the first was acknowledged: the origin and digest tell those apart.
   */
  readonly #byPacket: Generations<Seen>;
  /** Tenant, source and topic → payload digest and receive time of the latest message on it. */
  readonly #latestOnTopic: Generations<Seen>;
  readonly #windowMs: number;
  readonly #outcomes: Counter<"worker" | "flag" | "outcome">;

  constructor(settings: RedeliverySettings, registry: Registry) {
    this.#byPacket = new Generations(settings.memory);
    this.#latestOnTopic = new Generations(settings.memory);
    this.#windowMs = settings.windowMs;
    this.#outcomes = new Counter({
      name: "stadtfluss_redelivered_messages_total",
      help: "Messages the MQTT broker sent again (dup) or retained (retain): matched to their first receive time, carrying their own time, unmatched (possibly stored twice) or refused",
      labelNames: ["worker", "flag", "outcome"],
      registers: [registry],
    });
  }

  /** `normalize`, with a redelivered or retained message given the receive time of its first copy. */
  normalize(record: RawRecord, options: NormalizeOptions): NormalizeResult {
    // NUL separates the parts unambiguously: MQTT forbids it in topic names, and tenant and source are identifiers.
    const origin = `${record.tenant}\u0000${record.source}\u0000${record.mqttTopic}`;
    const digest = hash("sha256", record.value, "base64");
    const packet = record.packetId === undefined ? undefined : `${record.source}\u0000${record.packetId}`;
    if (!record.duplicate && !record.retain) {
      const result = normalize(record, options);
      this.#remember(record.receivedAt, origin, digest, packet);
      return result;
    }

    const flag = record.duplicate ? "dup" : "retain";
    const latest = record.retain ? this.#latestOnTopic.get(origin) : undefined;
    const sent = record.duplicate && packet !== undefined ? this.#byPacket.get(packet) : undefined;
    const first =
      (sent !== undefined &&
      sent.origin === origin &&
      sent.digest === digest &&
      Math.abs(record.receivedAt.getTime() - sent.time) <= this.#windowMs
        ? sent.time
        : undefined) ?? (latest?.digest === digest ? latest.time : undefined);
    if (first !== undefined) {
      const resolved = { ...record, receivedAt: new Date(first) };
      const result = normalize(resolved, options);
      this.#count(flag, "matched");
      this.#remember(resolved.receivedAt, origin, digest, packet);
      return result;
    }

    const result = normalize(record, options);
    if (!takesReceiveTime(record, result, options)) {
      this.#count(flag, "own_time");
    } else if (record.retain) {
      this.#count(flag, "refused");
      throw new NormalizeError(
        "policy",
        "retained message without a time of its own: the broker sent it again when the bridge subscribed, " +
          "so when it was measured is unknown, and it is not the last message seen on its topic",
      );
    } else {
      this.#count(flag, "unmatched");
    }
    this.#remember(record.receivedAt, origin, digest, packet);
    return result;
  }

  #remember(receivedAt: Date, origin: string, digest: string, packet: string | undefined): void {
    const time = receivedAt.getTime();
    let latest = this.#latestOnTopic.current(origin);
    if (latest) {
      latest.digest = digest;
      latest.time = time;
    } else {
      latest = { origin, digest, time };
      this.#latestOnTopic.set(origin, latest);
    }
    if (packet === undefined) return;
    const seen = this.#byPacket.current(packet);
    // The topic's one copy of the origin, not this message's own string.
    if (seen) {
      seen.origin = latest.origin;
      seen.digest = digest;
      seen.time = time;
    } else this.#byPacket.set(packet, { origin: latest.origin, digest, time });
  }

  #count(flag: "dup" | "retain", outcome: Outcome): void {
    this.#outcomes.inc({ flag, outcome });
  }
}

/**
 * A map bounded without a scan: when the newer generation holds `size` keys it
 * becomes the older one and the older is dropped, so the last `size` keys set are
 * always there, and at most twice as many.
 */
class Generations<V> {
  readonly #size: number;
  #newer = new Map<string, V>();
  #older = new Map<string, V>();

  constructor(size: number) {
    this.#size = size;
  }

  get(key: string): V | undefined {
    return this.#newer.get(key) ?? this.#older.get(key);
  }

  /** The value of a key set since the last turn of generations: one to change in place, as if set again. */
  current(key: string): V | undefined {
    return this.#newer.get(key);
  }

  set(key: string, value: V): void {
    if (this.#newer.size >= this.#size && !this.#newer.has(key)) {
      this.#older = this.#newer;
      this.#newer = new Map();
    }
    this.#newer.set(key, value);
  }
}

/** Whether any reading's time follows the receive time: decoded once more, 1 ms later. */
function takesReceiveTime(record: RawRecord, result: NormalizeResult, options: NormalizeOptions): boolean {
  let later: NormalizeResult;
  try {
    later = normalize({ ...record, receivedAt: new Date(record.receivedAt.getTime() + 1) }, options);
  } catch {
    // Only the receive time differs, so the outcome depends on it.
    return true;
  }
  return (
    later.observations.length !== result.observations.length ||
    later.observations.some((observation, i) => observation.observedAt !== result.observations[i]?.observedAt)
  );
}
