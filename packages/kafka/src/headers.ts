import type { IHeaders } from "kafkajs";

/** Headers the bridge puts on every raw record: where and when it came in. */
export const rawHeaders = {
  source: "stadtfluss.source",
  format: "stadtfluss.format",
  tenant: "stadtfluss.tenant",
  mqttTopic: "stadtfluss.mqtt.topic",
  receivedAt: "stadtfluss.received_at",
} as const;

export function headerString(headers: IHeaders | undefined, name: string): string | undefined {
  const value = headers?.[name];
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined ? undefined : first.toString();
}
