import type { Message } from "@stadtfluss/kafka";
import { rawHeaders } from "@stadtfluss/kafka";
import { isoInstant } from "@stadtfluss/schemas";
import type { IPublishPacket } from "mqtt";
import type { MqttSource, Subscription } from "./config.ts";

/**
 * The raw-topic record of an MQTT message: the payload unchanged, keyed by the
 * device the topic names, with its origin in headers. The Kafka timestamp is the
 * receive time as well, for readers that look at no header.
 *
 * The MQTT flags travel along: a retained message (sent because the bridge
 * subscribed, not because the device just published) and a redelivery (DUP, with
 * its original packet identifier) are what the normalizer needs to keep formats
 * without a clock of their own from storing a second point.
 *
 * Receive times are strictly increasing per source and topic: formats without a
 * clock take the receive time as the measurement time, and two messages of one
 * device read in the same millisecond (a queue delivered after a reconnect) would
 * otherwise become one point in InfluxDB.
 */
export function rawMessage(
  source: MqttSource,
  packet: IPublishPacket,
  receivedAt: Date | number,
): Message & { value: Buffer } {
  const { subscription, parts } = route(source, packet.topic);
  const received = receiveTime(
    source,
    packet.topic,
    typeof receivedAt === "number" ? receivedAt : receivedAt.getTime(),
  );
  // Written out rather than spread: this runs for every message.
  const headers: Record<string, string> = {
    [rawHeaders.source]: source.id,
    [rawHeaders.format]: subscription?.format ?? "unknown",
    [rawHeaders.tenant]: parts.tenant ?? subscription?.tenant ?? source.tenant ?? "",
    [rawHeaders.mqttTopic]: packet.topic,
    [rawHeaders.receivedAt]: isoTime(received),
  };
  if (packet.retain) headers[rawHeaders.mqttRetain] = "1";
  if (packet.dup) headers[rawHeaders.mqttDup] = "1";
  if (packet.qos > 0 && packet.messageId !== undefined) headers[rawHeaders.mqttPacketId] = String(packet.messageId);
  return {
    key: parts.device ?? null,
    value: Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload),
    headers,
    timestamp: String(received),
  };
}

let lastIsoMs = Number.NaN;
let lastIso = "";

/** The ISO form of an epoch millisecond; many messages share one, so the last is kept. */
function isoTime(ms: number): string {
  if (ms !== lastIsoMs) {
    lastIso = isoInstant(ms);
    lastIsoMs = ms;
  }
  return lastIso;
}

interface Route {
  readonly subscription?: Subscription;
  readonly parts: Readonly<Record<string, string>>;
}

/** Topics whose route is remembered, per source; then the memory starts afresh. */
const MAX_ROUTES = 20_000;
const routes = new WeakMap<MqttSource, Map<string, Route>>();

/**
 * The subscription a topic matches and what its placeholders name. A device
 * publishes on the same topic again and again, so the route is remembered rather
 * than matched against every pattern per message.
 */
function route(source: MqttSource, topic: string): Route {
  let known = routes.get(source);
  if (!known) {
    known = new Map();
    routes.set(source, known);
  }
  let found = known.get(topic);
  if (found) return found;
  found = { parts: {} };
  for (const subscription of source.subscriptions) {
    const parts = subscription.pattern.match(topic);
    if (parts) {
      found = { subscription, parts };
      break;
    }
  }
  if (known.size >= MAX_ROUTES) known.clear();
  known.set(topic, found);
  return found;
}

const receiveTimes = new WeakMap<MqttSource, { last: Map<string, number>; prunedAt: number }>();

/** `now`, or 1 ms after the topic's previous message where that is not earlier. */
function receiveTime(source: MqttSource, topic: string, now: number): number {
  let times = receiveTimes.get(source);
  if (!times) {
    times = { last: new Map(), prunedAt: now };
    receiveTimes.set(source, times);
  }
  if (now - times.prunedAt >= 1_000) {
    // A topic whose last time lies before now constrains nothing any more: only
    // the topics of about the last second are kept.
    for (const [name, last] of times.last) if (last < now) times.last.delete(name);
    times.prunedAt = now;
  }
  const previous = times.last.get(topic);
  const time = previous === undefined || previous < now ? now : previous + 1;
  times.last.set(topic, time);
  return time;
}
