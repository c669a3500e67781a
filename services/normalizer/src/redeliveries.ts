import { crc32 } from "node:zlib";
import { Counter, type Registry } from "prom-client";
import { NormalizeError, type NormalizeOptions, type NormalizeResult, normalize } from "./normalize.ts";
import type { RawRecord } from "./raw-record.ts";

export interface RedeliverySettings {
  /** Topics and packet identifiers remembered (the latest message of each): at least this many, at most twice as many. */
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
  /** Its origin: tenant, source and MQTT topic. */
  tenant: string;
  source: string;
  topic: string;
  /** The payload's CRC-32 and length. */
  checksum: number;
  bytes: number;
  time: number;
}

/** The latest message of an origin, chained to those of other tenants or sources with the same topic name. */
interface Latest extends Seen {
  next: Latest | undefined;
}

const sameOrigin = (seen: Seen, record: RawRecord) =>
  seen.topic === record.mqttTopic && seen.tenant === record.tenant && seen.source === record.source;

/** The entry of the record's origin in a topic's chain. */
function originIn(chain: Latest | undefined, record: RawRecord): Latest | undefined {
  for (let entry = chain; entry !== undefined; entry = entry.next) if (sameOrigin(entry, record)) return entry;
  return undefined;
}

/** More sources than a bridge is ever configured with: numbering starts again (origins still tell them apart). */
const MAX_SOURCES = 4_096;

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
   * Source and packet identifier of a QoS 1 message (a number: packetKey) → its
   * origin, payload checksum and the receive time of its first copy. The broker
   * gives a packet identifier to no other message of the source's session while it
   * waits for the PUBACK, so a copy it sends again finds its first one here, unless
   * a later message took the identifier after the first was acknowledged: the origin
   * and checksum tell those apart. A checksum, not a cryptographic digest, is enough
   * for that (two messages of one topic and packet identifier within the window),
   * and SHA-256 cost 3 % of the normalizer's CPU.
   */
  readonly #byPacket: Generations<number, Seen>;
  /**
   * MQTT topic → payload checksum and receive time of the latest message on it, one
   * per tenant and source (a chain: mostly of one). Keyed by the topic alone, not by
   * a string of all three: building and hashing that per message cost more than
   * walking the chain.
   */
  readonly #latestOnTopic: Generations<string, Latest>;
  /** Source → its number in packet keys. */
  readonly #sources = new Map<string, number>();
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
    const checksum = crc32(record.value);
    const bytes = record.value.length;
    const packet = record.packetId === undefined ? undefined : this.#packetKey(record.source, record.packetId);
    if (!record.duplicate && !record.retain) {
      const result = normalize(record, options);
      this.#remember(record, record.receivedAt, checksum, bytes, packet);
      return result;
    }

    const flag = record.duplicate ? "dup" : "retain";
    const latest = record.retain
      ? (originIn(this.#latestOnTopic.current(record.mqttTopic), record) ??
        originIn(this.#latestOnTopic.previous(record.mqttTopic), record))
      : undefined;
    const sent = record.duplicate && packet !== undefined ? this.#byPacket.get(packet) : undefined;
    const first =
      (sent !== undefined &&
      sameOrigin(sent, record) &&
      sent.checksum === checksum &&
      sent.bytes === bytes &&
      Math.abs(record.receivedAt.getTime() - sent.time) <= this.#windowMs
        ? sent.time
        : undefined) ?? (latest?.checksum === checksum && latest.bytes === bytes ? latest.time : undefined);
    if (first !== undefined) {
      const resolved = { ...record, receivedAt: new Date(first) };
      const result = normalize(resolved, options);
      this.#count(flag, "matched");
      this.#remember(record, resolved.receivedAt, checksum, bytes, packet);
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
    this.#remember(record, record.receivedAt, checksum, bytes, packet);
    return result;
  }

  /** A number, not a string: hashing a fresh string per message was most of what remembering cost. */
  #packetKey(source: string, packetId: number): number {
    let number = this.#sources.get(source);
    if (number === undefined) {
      if (this.#sources.size >= MAX_SOURCES) this.#sources.clear();
      number = this.#sources.size;
      this.#sources.set(source, number);
    }
    // rawRecordOf reads at most five digits (MQTT's are 1-65535).
    return number * 100_000 + packetId;
  }

  #remember(record: RawRecord, receivedAt: Date, checksum: number, bytes: number, packet: number | undefined): void {
    const time = receivedAt.getTime();
    const chain = this.#latestOnTopic.current(record.mqttTopic);
    let latest = originIn(chain, record);
    if (latest) {
      latest.checksum = checksum;
      latest.bytes = bytes;
      latest.time = time;
    } else {
      const { tenant, source, mqttTopic: topic } = record;
      latest = { tenant, source, topic, checksum, bytes, time, next: chain };
      this.#latestOnTopic.set(topic, latest);
    }
    if (packet === undefined) return;
    const seen = this.#byPacket.current(packet);
    // The topic's one copy of the origin's strings, not this message's own.
    if (seen) {
      seen.tenant = latest.tenant;
      seen.source = latest.source;
      seen.topic = latest.topic;
      seen.checksum = checksum;
      seen.bytes = bytes;
      seen.time = time;
    } else {
      const { tenant, source, topic } = latest;
      this.#byPacket.set(packet, { tenant, source, topic, checksum, bytes, time });
    }
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
class Generations<K, V> {
  readonly #size: number;
  #newer = new Map<K, V>();
  #older = new Map<K, V>();

  constructor(size: number) {
    this.#size = size;
  }

  get(key: K): V | undefined {
    return this.#newer.get(key) ?? this.#older.get(key);
  }

  /** The value of a key set since the last turn of generations: one to change in place, as if set again. */
  current(key: K): V | undefined {
    return this.#newer.get(key);
  }

  /** The value of a key set before the last turn of generations. */
  previous(key: K): V | undefined {
    return this.#older.get(key);
  }

  set(key: K, value: V): void {
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
