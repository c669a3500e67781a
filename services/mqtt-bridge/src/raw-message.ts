import { rawHeaders } from "@stadtfluss/kafka";
import type { Message } from "kafkajs";
import type { IPublishPacket } from "mqtt";
import type { MqttSource, Subscription } from "./config.ts";

/**
 * The raw-topic record of an MQTT message: the payload unchanged, keyed by the
 * device the topic names, with its origin in headers. The Kafka timestamp is the
 * receive time as well, for readers that look at no header.
 */
export function rawMessage(source: MqttSource, packet: IPublishPacket, receivedAt: Date): Message & { value: Buffer } {
  const { subscription, parts } = route(source, packet.topic);
  return {
    key: parts.device ?? null,
    value: Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload),
    headers: {
      [rawHeaders.source]: source.id,
      [rawHeaders.format]: subscription?.format ?? "unknown",
      [rawHeaders.tenant]: parts.tenant ?? subscription?.tenant ?? source.tenant ?? "",
      [rawHeaders.mqttTopic]: packet.topic,
      [rawHeaders.receivedAt]: receivedAt.toISOString(),
    },
    timestamp: String(receivedAt.getTime()),
  };
}

function route(source: MqttSource, topic: string): { subscription?: Subscription; parts: Record<string, string> } {
  for (const subscription of source.subscriptions) {
    const parts = subscription.pattern.match(topic);
    if (parts) return { subscription, parts };
  }
  return { parts: {} };
}
