import { errorMessage } from "@stadtfluss/errors";
import { deadLetterHeaders, rawHeaders, type Topics } from "@stadtfluss/kafka";
import type { Logger, PipelineMetrics, Worker, WorkerHooks } from "@stadtfluss/telemetry";
import type { IHeaders, Producer } from "kafkajs";
import type { IClientOptions, IPublishPacket, MqttClient } from "mqtt";
import type { MqttSource, Subscription } from "./config.ts";
import { KafkaSink } from "./kafka-sink.ts";

export interface BridgeDependencies {
  readonly sources: readonly MqttSource[];
  readonly producer: Producer;
  readonly topics: Topics;
  readonly logger: Logger;
  readonly metrics: PipelineMetrics;
  readonly connectMqtt: (url: string, options: IClientOptions) => MqttClient;
}

const WORKER = "mqtt-bridge";

/**
 * Subscribes to every source and puts each message into the raw topic unchanged,
 * keyed by device, with its origin in headers. A QoS 1 message is acknowledged to
 * the MQTT broker only after Kafka acknowledged it: until then the broker keeps
 * it in the bridge's persistent session, so a crash loses nothing.
 */
export function createBridge(deps: BridgeDependencies): Worker {
  const { logger, metrics } = deps;
  const raw = new KafkaSink(deps.producer, deps.topics.raw);
  const clients = new Map<string, MqttClient>();
  const connected = new Set<string>();
  let producerConnected = false;
  let stopping = false;
  let inFlight = 0;
  let drained: (() => void) | undefined;

  const forward = async (source: MqttSource, packet: IPublishPacket) => {
    const receivedAt = new Date();
    const { subscription, parts } = route(source, packet.topic);
    const headers: IHeaders = {
      [rawHeaders.source]: source.id,
      [rawHeaders.format]: subscription?.format ?? "unknown",
      [rawHeaders.tenant]: parts.tenant ?? subscription?.tenant ?? source.tenant ?? "",
      [rawHeaders.mqttTopic]: packet.topic,
      [rawHeaders.receivedAt]: receivedAt.toISOString(),
    };
    const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload);
    const message = { key: parts.device ?? null, value: payload, headers, timestamp: String(receivedAt.getTime()) };
    metrics.messagesIn.inc();
    const started = performance.now();
    try {
      await raw.send(message);
      metrics.messagesOut.inc({ topic: deps.topics.raw });
    } catch (error) {
      // Kafka refused this record for good (too large, say): record why in the
      // dead-letter topic instead of retrying it forever and stalling the source.
      metrics.messagesFailed.inc({ stage: "produce", error_class: (error as Error).name });
      logger.error({ err: error, mqttTopic: packet.topic, bytes: payload.length }, "raw record refused by Kafka");
      await deps.producer.send({
        topic: deps.topics.deadLetter,
        acks: -1,
        messages: [
          {
            key: message.key,
            value: null,
            headers: {
              ...headers,
              [deadLetterHeaders.worker]: WORKER,
              [deadLetterHeaders.stage]: "produce",
              [deadLetterHeaders.errorClass]: (error as Error).name,
              [deadLetterHeaders.message]: errorMessage(error),
              [deadLetterHeaders.failedAt]: new Date().toISOString(),
            },
          },
        ],
      });
      metrics.deadLetters.inc({ stage: "produce" });
    }
    metrics.batchSeconds.observe({ sink: "kafka" }, (performance.now() - started) / 1000);
  };

  const connectSource = (source: MqttSource, hooks: WorkerHooks) =>
    new Promise<void>((resolve) => {
      const client = deps.connectMqtt(source.url, {
        clientId: source.clientId,
        // A persistent session: the broker queues QoS 1 messages while we are away.
        clean: false,
        protocolVersion: 4,
        reconnectPeriod: 1_000,
        connectTimeout: 10_000,
        resubscribe: false,
        ...(source.username ? { username: source.username } : {}),
        ...(source.password ? { password: source.password.reveal() } : {}),
        ...(source.ca ? { ca: source.ca } : {}),
      });
      clients.set(source.id, client);
      client.handleMessage = (packet, done) => {
        // While stopping, leave the message unacknowledged: the broker keeps it.
        if (stopping) return;
        inFlight++;
        metrics.inFlight.inc();
        forward(source, packet).then(
          () => {
            inFlight--;
            metrics.inFlight.dec();
            done();
            if (inFlight === 0) drained?.();
          },
          (error: unknown) => {
            inFlight--;
            metrics.inFlight.dec();
            hooks.fatal(error);
          },
        );
      };
      client.on("connect", (connack) => {
        connected.add(source.id);
        logger.info({ source: source.id, sessionPresent: connack.sessionPresent }, "mqtt connected");
        // A resumed session keeps its subscriptions; subscribing again would only
        // replay retained messages.
        if (!connack.sessionPresent) {
          const filters = Object.fromEntries(source.subscriptions.map((s) => [s.pattern.filter, { qos: 1 as const }]));
          client.subscribe(filters, (error, granted) => {
            if (error) return hooks.fatal(error);
            const refused = granted?.filter((g) => g.qos === 128) ?? [];
            if (refused.length > 0)
              hooks.fatal(new Error(`broker refused subscriptions: ${refused.map((g) => g.topic).join(", ")}`));
            else logger.info({ source: source.id, filters: Object.keys(filters) }, "mqtt subscribed");
            resolve();
          });
        } else resolve();
      });
      client.on("close", () => {
        if (connected.delete(source.id) && !stopping)
          logger.warn({ source: source.id }, "mqtt connection lost, reconnecting");
      });
      client.on("error", (error) => logger.error({ source: source.id, err: error }, "mqtt error"));
    });

  return {
    async start(hooks) {
      await deps.producer.connect();
      producerConnected = true;
      await Promise.all(deps.sources.map((source) => connectSource(source, hooks)));
    },
    async stop() {
      stopping = true;
      if (inFlight > 0) await new Promise<void>((resolve) => (drained = resolve));
      await Promise.all([...clients.values()].map((client) => client.endAsync()));
      await deps.producer.disconnect();
      producerConnected = false;
    },
    isReady: () => producerConnected && connected.size === deps.sources.length,
  };
}

function route(source: MqttSource, topic: string): { subscription?: Subscription; parts: Record<string, string> } {
  for (const subscription of source.subscriptions) {
    const parts = subscription.pattern.match(topic);
    if (parts) return { subscription, parts };
  }
  return { parts: {} };
}
