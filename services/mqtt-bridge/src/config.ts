import { env, Secret } from "@stadtfluss/config";
import { type KafkaSettings, kafkaEnv, kafkaEnvChecks, kafkaSettingsFrom } from "@stadtfluss/kafka";
import { loadServiceConfig, opsEnv, type ServiceSettings } from "@stadtfluss/telemetry";
import { z } from "zod";
import { parseTopicPattern, type TopicPattern } from "./topic-pattern.ts";

const identifier = z.string().regex(/^[a-z0-9][a-z0-9._-]*$/, "must be lower-case letters, digits and . _ - only");

const subscriptionSchema = z
  .object({
    /** MQTT topic with `{device}` (required) and optionally `{tenant}` placeholders. */
    topic: z.string().min(1),
    /** Payload format id, passed on in a header for the normalizer. */
    format: identifier,
    tenant: identifier.optional(),
  })
  .strict()
  .transform((subscription, ctx) => {
    try {
      const pattern = parseTopicPattern(subscription.topic);
      if (!subscription.topic.includes("{device}")) {
        ctx.addIssue({ code: "custom", path: ["topic"], message: "must contain {device}" });
      }
      return { ...subscription, pattern };
    } catch (error) {
      ctx.addIssue({ code: "custom", path: ["topic"], message: (error as Error).message });
      return z.NEVER;
    }
  });

const sourceSchema = z
  .object({
    id: identifier,
    url: env.url(["mqtt", "mqtts", "ws", "wss"], { credentialsIn: "as username and passwordFile" }),
    /** Fixed, so that the broker keeps the persistent session across restarts. */
    clientId: z.string().min(1).max(128).optional(),
    username: z.string().min(1).optional(),
    /** Read while the settings are checked, as caFile is. */
    passwordFile: env
      .fileContent()
      .transform((content) => new Secret(content.trim()))
      .optional(),
    caFile: env.fileContent().optional(),
    tenant: identifier.optional(),
    /** Subscribe to Mosquitto's $SYS drop counter and export it as a metric. */
    brokerStats: z.boolean().default(false),
    /**
     * 5 lets the bridge announce its own receive window (Receive Maximum); with
     * 3.1.1 the broker's applies (Mosquitto: 20 unacknowledged messages), which
     * caps throughput at 20 per Kafka round trip. The Things Stack speaks 3.1.1 only.
     */
    protocolVersion: z.union([z.literal(4), z.literal(5)]).default(4),
    /** Seconds between pings when nothing else is sent (MQTT keep alive). */
    keepalive: z.number().int().min(1).max(65_535).default(60),
    subscriptions: z.array(subscriptionSchema).min(1),
  })
  .strict()
  .superRefine((source, ctx) => {
    // MQTT sends a password only after a user name (MQTT 3.1.1 section 3.1.2.9).
    if (source.passwordFile && !source.username)
      ctx.addIssue({ code: "custom", path: ["username"], message: "is required with passwordFile" });
    source.subscriptions.forEach((subscription, i) => {
      if (!subscription.topic.includes("{tenant}") && !subscription.tenant && !source.tenant) {
        ctx.addIssue({
          code: "custom",
          path: ["subscriptions", i, "tenant"],
          message: "no tenant: put {tenant} in the topic or set tenant on the subscription or source",
        });
      }
    });
  });

export interface BridgeConfig extends ServiceSettings {
  readonly kafka: KafkaSettings;
  readonly sources: readonly MqttSource[];
  readonly maxPayloadBytes: number;
  readonly maxInFlight: number;
  readonly maxInFlightBytes: number;
  readonly lingerMs: number;
}

const bridgeEnv = z
  .object({
    ...kafkaEnv.shape,
    ...opsEnv.shape,
    /** Larger MQTT payloads are refused before parsing; keep it below Kafka's message.max.bytes. */
    BRIDGE_MAX_PAYLOAD_BYTES: env.integer(1, 100 * 1024 * 1024).default(256 * 1024),
    /**
     * Messages per source read but not yet acknowledged by Kafka. An MQTT 5 broker
     * is told so (Receive Maximum, at most 65,535) and sends no more; from an MQTT
     * 3.1.1 broker with a wider window the bridge stops reading past it.
     */
    BRIDGE_MAX_IN_FLIGHT: env.integer(1, 1_000_000).default(65_535),
    /**
     * Bytes of the messages per source read but not yet acknowledged by Kafka
     * (topic, properties and payload as the broker sent them); past it the bridge
     * stops reading, whatever the protocol. Bookkeeping of about 2 KiB per message
     * comes on top, bounded by BRIDGE_MAX_IN_FLIGHT.
     */
    BRIDGE_MAX_IN_FLIGHT_BYTES: env.integer(1_024, 16 * 1024 ** 3).default(64 * 1024 ** 2),
    /**
     * How long a Kafka batch from an MQTT 5 source waits for more messages. Every
     * stage after the bridge pays its round trips per batch; longer batches cost
     * latency. MQTT 3.1.1 sources never wait: the broker's window (20) is their batch.
     */
    BRIDGE_LINGER_MS: env.integer(0, 5_000).default(100),
    /** JSON list of brokers and what to subscribe there; see the README. */
    MQTT_SOURCES: env.json(z.array(sourceSchema).min(1)).superRefine((sources, ctx) => {
      const ids = sources.map((s) => s.id);
      ids.forEach((id, i) => {
        if (ids.indexOf(id) !== i)
          ctx.addIssue({ code: "custom", path: [i, "id"], message: `duplicate source id ${id}` });
      });
      // Two sessions with one client id on one broker take each other over.
      const sessions = sources.map((s) => `${s.url} ${s.clientId ?? `stadtfluss-bridge-${s.id}`}`);
      sessions.forEach((session, i) => {
        if (sessions.indexOf(session) !== i)
          ctx.addIssue({
            code: "custom",
            path: [i, "clientId"],
            message: "another source uses this client id on the same broker",
          });
      });
    }),
  })
  .check(...kafkaEnvChecks);

export interface Subscription {
  readonly format: string;
  readonly tenant?: string;
  readonly pattern: TopicPattern;
}

export interface MqttSource {
  readonly id: string;
  readonly url: string;
  readonly clientId: string;
  readonly username?: string;
  readonly password?: Secret;
  readonly ca?: string;
  readonly tenant?: string;
  readonly brokerStats: boolean;
  readonly protocolVersion: 4 | 5;
  readonly keepalive: number;
  readonly subscriptions: readonly Subscription[];
}

export function loadConfig(environment: Readonly<Record<string, string | undefined>>): BridgeConfig {
  return loadServiceConfig(bridgeEnv, environment, (parsed) => ({
    kafka: kafkaSettingsFrom(parsed, { clientId: "stadtfluss-mqtt-bridge" }),
    sources: parsed.MQTT_SOURCES.map((source) => ({
      id: source.id,
      url: source.url,
      clientId: source.clientId ?? `stadtfluss-bridge-${source.id}`,
      ...(source.username ? { username: source.username } : {}),
      ...(source.passwordFile ? { password: source.passwordFile } : {}),
      ...(source.caFile ? { ca: source.caFile } : {}),
      ...(source.tenant ? { tenant: source.tenant } : {}),
      brokerStats: source.brokerStats,
      protocolVersion: source.protocolVersion,
      keepalive: source.keepalive,
      subscriptions: source.subscriptions.map(({ format, tenant, pattern }) => ({
        format,
        pattern,
        ...(tenant ? { tenant } : {}),
      })),
    })),
    maxPayloadBytes: parsed.BRIDGE_MAX_PAYLOAD_BYTES,
    maxInFlight: parsed.BRIDGE_MAX_IN_FLIGHT,
    maxInFlightBytes: parsed.BRIDGE_MAX_IN_FLIGHT_BYTES,
    lingerMs: parsed.BRIDGE_LINGER_MS,
  }));
}
