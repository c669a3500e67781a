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
