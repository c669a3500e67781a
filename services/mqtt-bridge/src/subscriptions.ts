import { randomUUID } from "node:crypto";
import type { IClientSubscribeOptions, IPublishPacket, MqttClient } from "mqtt";

/**
 * Where the bridge keeps, retained, the filters it last subscribed in a session and
 * which bridge process holds that session. MQTT cannot read a session's
 * subscriptions back; this record lives on the same broker as the session it
 * describes, so both survive a broker restart (with persistence) or are lost
 * together. The broker's ACL must let the bridge read and write it
 * (`infra/mosquitto/acl`).
 */
export function subscriptionRecordTopic(clientId: string): string {
  return `stadtfluss-bridge/${encodeURIComponent(clientId)}/subscriptions`;
}

export interface SubscriptionPlan {
  readonly subscribe: readonly string[];
  readonly unsubscribe: readonly string[];
}

/**
 * What to send after connecting, from the configured filters and those last
 * applied (undefined when there is no record). Without a session the broker holds
 * no subscription. MQTT 5 subscribes every configured filter again with retain
 * handling 1 (retained messages only for a new subscription), which restores a
 * lost subscription without a replay; MQTT 3.1.1 sends the retained messages again
 * on every subscribe, so with a record it subscribes only what the session lacks.
 * Without a record nothing can be unsubscribed.
 */
export function planSubscriptions(
  configured: readonly string[],
  applied: readonly string[] | undefined,
  sessionPresent: boolean,
  protocolVersion: 4 | 5,
): SubscriptionPlan {
  const held = sessionPresent ? applied : [];
  return {
    subscribe: protocolVersion === 5 || !held ? [...configured] : configured.filter((f) => !held.includes(f)),
    unsubscribe: held ? held.filter((f) => !configured.includes(f)) : [],
  };
}

export interface SubscriptionRecord {
  /** False when the record could not be read (not allowed, or no answer in time): it is then left as it is. */
  readonly readable: boolean;
  /** The filters last applied; undefined when there is no record. */
  readonly filters?: readonly string[];
  /** The bridge process that wrote it (a random id per process). */
  readonly holder?: string;
}

/**
 * Reads the record: subscribes to its topic, which brings the retained record if
 * there is one, then publishes a probe there. Messages on one topic arrive in
 * order, so once the probe is back the record has come or there is none.
 */
export function readSubscriptionRecord(
  client: MqttClient,
  topic: string,
  timeoutMs: number,
): Promise<SubscriptionRecord> {
  const probe = `probe ${randomUUID()}`;
  return new Promise<SubscriptionRecord>((resolve) => {
    let record: SubscriptionRecord = { readable: true };
    const finish = (readable: boolean) => {
      clearTimeout(timer);
      client.off("message", onMessage);
      client.off("close", onClose);
      resolve(readable ? record : { readable });
    };
    const onMessage = (received: string, payload: Buffer, packet: IPublishPacket) => {
      if (received !== topic) return;
      const text = payload.toString();
      if (text === probe) finish(true);
      else if (packet.retain) record = parseRecord(text);
    };
    const onClose = () => finish(false);
    const timer = setTimeout(() => finish(false), timeoutMs);
    client.on("message", onMessage);
    client.on("close", onClose);
    client.subscribe({ [topic]: { qos: 0, rh: 0 } }, (error, _granted, suback) => {
      if (error || isRefusal(suback?.granted[0])) return finish(false);
      client.publish(topic, probe, { qos: 0 }, (publishError) => {
        if (publishError) finish(false);
      });
    });
  }).finally(() => {
    if (client.connected) client.unsubscribe(topic);
  });
}

/**
 * Stores the filters now applied as the retained record. At QoS 0, as the probe:
 * some brokers cap the QoS a client may publish with and disconnect one that
 * exceeds it. A record lost on the way is found missing on the next connect.
 */
export function writeSubscriptionRecord(
  client: MqttClient,
  topic: string,
  record: { readonly filters: readonly string[]; readonly holder: string },
): Promise<void> {
  return new Promise((resolve, reject) => {
    client.publish(topic, JSON.stringify(record), { qos: 0, retain: true }, (error) =>
      error ? reject(error) : resolve(),
    );
  });
}

export interface Grant {
  readonly filter: string;
  readonly requested: number;
  /** The QoS granted, or a reason code of 0x80 and above for a refusal. */
  readonly granted: number;
}

/** Subscribes and reports each filter's grant; rejects only when no SUBACK came (the connection was lost). */
export function subscribe(client: MqttClient, filters: Record<string, IClientSubscribeOptions>): Promise<Grant[]> {
  return new Promise((resolve, reject) => {
    if (Object.keys(filters).length === 0) return resolve([]);
    client.subscribe(filters, (error, requests, suback) => {
      // A refused filter comes as an error with the SUBACK beside it.
      const codes = suback?.granted as number[] | undefined;
      if (!requests || !codes || codes.length !== requests.length) return reject(error ?? new Error("no SUBACK"));
      resolve(
        requests.map((request, i) => ({
          filter: request.topic,
          requested: filters[request.topic]?.qos ?? 0,
          granted: codes[i] ?? 0x80,
        })),
      );
    });
  });
}

export function unsubscribe(client: MqttClient, filters: readonly string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    if (filters.length === 0) return resolve();
    client.unsubscribe([...filters], (error) => (error ? reject(error) : resolve()));
  });
}

export function isRefusal(code: unknown): boolean {
  return typeof code === "number" && code >= 0x80;
}

/** A record that is not what this module writes counts as none. */
function parseRecord(text: string): SubscriptionRecord {
  try {
    const { filters, holder } = JSON.parse(text) as { filters?: unknown; holder?: unknown };
    if (!Array.isArray(filters) || !filters.every((f) => typeof f === "string")) return { readable: true };
    return { readable: true, filters, ...(typeof holder === "string" ? { holder } : {}) };
  } catch {
    return { readable: true };
  }
}
