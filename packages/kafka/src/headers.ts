import type { IHeaders } from "kafkajs";

/** Headers the bridge puts on every raw record: where and when it came in. */
export const rawHeaders = {
  source: "stadtfluss.source",
  format: "stadtfluss.format",
  tenant: "stadtfluss.tenant",
  mqttTopic: "stadtfluss.mqtt.topic",
  receivedAt: "stadtfluss.received_at",
  /** "1" when the broker sent a retained message (on subscribing), absent otherwise. */
  mqttRetain: "stadtfluss.mqtt.retain",
  /** "1" when the broker sent the message again (DUP flag): it may be in Kafka already. */
  mqttDup: "stadtfluss.mqtt.dup",
  /** The MQTT packet identifier of a QoS 1 message: a redelivery carries the original one. */
  mqttPacketId: "stadtfluss.mqtt.packet_id",
} as const;

export function headerString(headers: IHeaders | undefined, name: string): string | undefined {
  const value = headers?.[name];
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined ? undefined : first.toString();
}

/** Longest value repeatedHeaderString keeps a copy of. */
const MAX_REPEATED_BYTES = 64;
const lastRead = new Map<string, { readonly bytes: Buffer; readonly text: string }>();

/**
 * headerString for a header whose value mostly repeats from record to record (source,
 * format, tenant, content type): the last value read under the name is compared byte
 * by byte and its string returned again, one string instead of a new one per record
 * (decoding was most of reading a record's headers, and a string seen before hashes
 * for free as a map key).
 */
export function repeatedHeaderString(headers: IHeaders | undefined, name: string): string | undefined {
  const value = headers?.[name];
  const first = Array.isArray(value) ? value[0] : value;
  if (first === undefined || typeof first === "string") return first;
  const last = lastRead.get(name);
  if (last !== undefined && sameBytes(last.bytes, first)) return last.text;
  const text = first.toString();
  // A copy: the value is a view into the whole fetch response.
  if (first.length <= MAX_REPEATED_BYTES) lastRead.set(name, { bytes: Buffer.from(first), text });
  return text;
}

function sameBytes(a: Buffer, b: Buffer): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
