import { randomUUID } from "node:crypto";
import { excerpt, reasonOf } from "@stadtfluss/errors";
import {
  createFailureRecorder,
  type FailureLog,
  kafkaRetryReporter,
  type Message,
  type RenewingProducer,
  storeDeadLetters,
  type Topics,
} from "@stadtfluss/kafka";
import type { Logger, PipelineMetrics, Worker, WorkerHooks } from "@stadtfluss/telemetry";
import type { IClientOptions, IClientSubscribeOptions, IPublishPacket, MqttClient } from "mqtt";
import { Counter, Gauge } from "prom-client";
import type { MqttSource } from "./config.ts";
import { FifoQueue } from "./fifo-queue.ts";
import { KafkaSink } from "./kafka-sink.ts";
import { OrderedAcks } from "./ordered-acks.ts";
import { rawMessage } from "./raw-message.ts";
import {
  isRefusal,
  planSubscriptions,
  readSubscriptionRecord,
  subscribe,
  subscriptionRecordTopic,
  unsubscribe,
  writeSubscriptionRecord,
} from "./subscriptions.ts";

export interface BridgeDependencies {
  readonly sources: readonly MqttSource[];
  /** Its `refusal` turns the bridge not-ready: Kafka refuses it access. */
  readonly producer: RenewingProducer;
  readonly topics: Topics;
  readonly logger: Logger;
  readonly metrics: PipelineMetrics;
  readonly connectMqtt: (url: string, options: IClientOptions) => MqttClient;
  /** Larger payloads are refused before anything parses them. */
  readonly maxPayloadBytes: number;
  /** Messages read but not yet in Kafka, per source: an MQTT 5 broker's window, and where reading pauses. */
  readonly maxInFlight: number;
  /** Bytes of the messages read but not yet in Kafka, per source: where reading pauses. */
  readonly maxInFlightBytes: number;
  /** How long a Kafka batch from an MQTT 5 source waits for more messages. */
  readonly lingerMs: number;
  /** No produce request carries more (KAFKA_MAX_REQUEST_BYTES): a dead letter is cut to fit. */
  readonly maxRequestBytes: number;
}

const WORKER = "mqtt-bridge";
/** Mosquitto counts here what it dropped for slow subscribers (with `sys_interval` set). */
const DROPPED_TOPIC = "$SYS/broker/publish/messages/dropped";
/** The largest Receive Maximum MQTT 5 allows. */
const MQTT5_MAX_RECEIVE = 65_535;
/** MQTT 5 DISCONNECT reason: another client connected with the same client id. */
const SESSION_TAKEN_OVER = 0x8e;
/** How long reading the subscription record may take before the bridge goes on without it. */
const RECORD_TIMEOUT_MS = 10_000;

/**
 * Subscribes to every source and puts each message into the raw topic unchanged,
 * keyed by device, with its origin in headers. A QoS 1 message is acknowledged to
 * the MQTT broker only after Kafka acknowledged it: until then the broker keeps
 * it in the bridge's persistent session, so a crash loses nothing.
 */
export function createBridge(deps: BridgeDependencies): Worker {
  const { logger, metrics } = deps;
  const kafkaUnavailable = kafkaRetryReporter(logger, metrics);
  const recordFailure = createFailureRecorder({
    worker: WORKER,
    topics: deps.topics,
    logger,
    metrics,
    maxRequestBytes: deps.maxRequestBytes,
  });
  // Counted per batch, not per message: prom-client hashes the labels on every call.
  const onStored = (messages: number, seconds: number) => {
    metrics.messagesOut.inc({ topic: deps.topics.raw }, messages);
    metrics.batchSeconds.observe({ sink: "kafka" }, seconds);
  };
  // A source on MQTT 3.1.1 gets only the broker's window of unacknowledged
  // messages (Mosquitto: 20), so its batch goes at once; on MQTT 5 the window is
  // ours, and batches worth lingerMs of traffic keep the stages after the bridge ahead.
  const sinks = new Map(
    deps.sources.map((source) => [
      source.id,
      new KafkaSink(deps.producer, deps.topics.raw, {
        lingerMs: source.protocolVersion === 5 ? deps.lingerMs : 0,
        onRetry: kafkaUnavailable,
        onStored,
      }),
    ]),
  );
  const brokerDropped = new Gauge({
    name: "stadtfluss_mqtt_broker_dropped_messages",
    help: "Messages the MQTT broker reports it dropped ($SYS/broker/publish/messages/dropped)",
    labelNames: ["source"],
    registers: [metrics.registry],
  });
  /** Per source: messages read but not yet in Kafka, and reads held at the bound. */
  const perSource = new Map<string, { inFlight: number; inFlightBytes: number; paused: FifoQueue<() => void> }>();
  new Gauge({
    name: "stadtfluss_mqtt_in_flight_bytes",
    help: "Bytes of the MQTT messages read but not yet in Kafka (BRIDGE_MAX_IN_FLIGHT_BYTES bounds them)",
    labelNames: ["source"],
    registers: [metrics.registry],
    // Read when scraped rather than kept per message.
    collect() {
      for (const [source, state] of perSource) this.set({ source }, state.inFlightBytes);
    },
  });
  const subscriptionDowngrades = new Counter({
    name: "stadtfluss_mqtt_subscription_downgrades_total",
    help: "Subscriptions the MQTT broker granted below the QoS requested (granted=qos0) or refused (granted=refused)",
    labelNames: ["source", "granted"],
    registers: [metrics.registry],
  });
  const sessionsTakenOver = new Counter({
    name: "stadtfluss_mqtt_sessions_taken_over_total",
    help: "Times another client with the bridge's client id took over its MQTT session (MQTT 5); the source then stops",
    labelNames: ["source"],
    registers: [metrics.registry],
  });
  const takenOver = new Set<string>();
  /** Names this process in each source's subscription record, to notice a second bridge with the same client id. */
  const instance = randomUUID();
  const clients = new Map<string, MqttClient>();
  const acksBySource = new Map<string, OrderedAcks>();
  new Gauge({
    name: "stadtfluss_mqtt_unacknowledged_messages",
    help: "MQTT messages read but not yet acknowledged to the broker (in flight, or stored and waiting for an earlier one)",
    labelNames: ["source"],
    registers: [metrics.registry],
    collect() {
      for (const [source, acks] of acksBySource) this.set({ source }, acks.pending);
    },
  });
  const connected = new Set<string>();
  let producerConnected = false;
  let stopping = false;
  let inFlight = 0;
  let drained: (() => void) | undefined;

  const deadLetter = async (message: Message, stage: string, error: Error, log: FailureLog) => {
    // The payload is what could not be stored; the headers say where it came from.
    const record = recordFailure({ stage, error, message: { ...message, value: null }, log });
    await storeDeadLetters(deps.producer, [record], {
      maxRequestBytes: deps.maxRequestBytes,
      onRetry: kafkaUnavailable,
    });
  };

  /**
   * Hands the message to Kafka (or, refused, to the dead-letter topic); `done`
   * once it is stored in either, `failed` when not even the dead letter could be.
   * Callbacks, not promises: this runs for every message.
   */
  const forward = (
    source: MqttSource,
    sink: KafkaSink,
    packet: IPublishPacket,
    done: () => void,
    failed: (error: unknown) => void,
  ) => {
    const message = rawMessage(source, packet, Date.now());
    const payload = message.value;
    metrics.messagesIn.inc();
    if (payload.length > deps.maxPayloadBytes) {
      const error = new Error(`payload of ${payload.length} bytes exceeds the limit of ${deps.maxPayloadBytes} bytes`);
      error.name = "PayloadTooLarge";
      deadLetter(message, "admit", error, {
        level: "warn",
        msg: "oversized payload refused",
        fields: { mqttTopic: excerpt(packet.topic), bytes: payload.length, limit: deps.maxPayloadBytes },
      }).then(done, failed);
      return;
    }
    sink.add(message, (error) => {
      if (error === undefined) return done();
      // Kafka refused this record for good: record why in the dead-letter topic
      // instead of retrying it forever and stalling the source.
      deadLetter(message, "produce", error as Error, {
        level: "error",
        msg: "raw record refused by Kafka",
        fields: { err: error, mqttTopic: excerpt(packet.topic), bytes: payload.length },
      }).then(done, failed);
    });
  };

  const connectSource = (source: MqttSource, hooks: WorkerHooks) =>
    new Promise<void>((resolve) => {
      const client = deps.connectMqtt(source.url, {
        clientId: source.clientId,
        // A persistent session: the broker queues QoS 1 messages while we are away.
        clean: false,
        protocolVersion: source.protocolVersion,
        keepalive: source.keepalive,
        // MQTT 5: the broker's window is ours to set. As wide as the count the bridge
        // may hold, the broker never sends more, so reading stops only at the byte
        // bound. The session outlives the connection, as clean: false does in 3.1.1.
        ...(source.protocolVersion === 5
          ? {
              properties: {
                receiveMaximum: Math.min(deps.maxInFlight, MQTT5_MAX_RECEIVE),
                sessionExpiryInterval: 0xffffffff,
              },
            }
          : {}),
        reconnectPeriod: 1_000,
        // mqtt.js's debug log (the `debug` package) costs several calls per packet even when off.
        log: noLog,
        connectTimeout: 10_000,
        resubscribe: false,
        ...(source.username ? { username: source.username } : {}),
        ...(source.password ? { password: source.password.reveal() } : {}),
        ...(source.ca ? { ca: source.ca } : {}),
      });
      clients.set(source.id, client);
      const acks = new OrderedAcks(client);
      acksBySource.set(source.id, acks);
      const state = { inFlight: 0, inFlightBytes: 0, paused: new FifoQueue<() => void>() };
      perSource.set(source.id, state);
      const sink = sinks.get(source.id);
      if (!sink) throw new Error(`no Kafka sink for source ${source.id}`);
      const failed = (error: unknown) => hooks.fatal(error);
      const recordTopic = subscriptionRecordTopic(source.clientId);

      // Past either bound (count or bytes) the bridge stops reading: the held read's
      // callback waits here, and TCP pushes back on the broker.
      const overBound = () => state.inFlight > deps.maxInFlight || state.inFlightBytes > deps.maxInFlightBytes;

      client.handleMessage = (packet, done) => {
        // While stopping, leave the message unacknowledged: the broker keeps it.
        if (stopping) return;
        if (packet.topic === DROPPED_TOPIC) {
          brokerDropped.set({ source: source.id }, Number(packet.payload.toString()) || 0);
          return done();
        }
        // The bridge's own record of its subscriptions, read on connect (subscriptions.ts).
        if (packet.topic === recordTopic) return done();
        const stored = packet.qos > 0 && packet.messageId !== undefined ? acks.expect(packet.messageId) : undefined;
        const bytes = packetBytes(packet);
        inFlight++;
        state.inFlight++;
        state.inFlightBytes += bytes;
        metrics.inFlight.inc();
        try {
          forward(
            source,
            sink,
            packet,
            () => {
              inFlight--;
              state.inFlight--;
              state.inFlightBytes -= bytes;
              metrics.inFlight.dec();
              stored?.();
              if (!overBound()) state.paused.shift()?.();
              if (inFlight === 0) drained?.();
            },
            failed,
          );
        } catch (error) {
          // As an error after the hand-over: the worker stops, the message stays unacknowledged.
          failed(error);
        }
        // Reading on is what keeps many messages in flight. Past the count bound
        // (only where the broker's window is wider: MQTT 3.1.1 with a raised
        // max_inflight_messages) or the byte bound (any broker: the window counts
        // messages, not bytes) the bridge stops reading and TCP pushes back. At the
        // count bound itself an MQTT 5 broker sends nothing more anyway.
        if (overBound()) state.paused.push(done);
        else done();
      };
      // A held read holds the broker's PINGRESP behind it too. mqtt.js would take the
      // missing answer for a dead connection after 1.5 keepalives and reconnect, and
      // the broker would send every unacknowledged message again. While the bridge
      // holds reads on purpose it keeps pinging (the broker hears from it) instead.
      const keepaliveTimeout = client.onKeepaliveTimeout.bind(client);
      client.onKeepaliveTimeout = () => {
        if (state.paused.length === 0) return keepaliveTimeout();
        client.sendPing();
        client.reschedulePing(true);
      };
      const requested: Record<string, IClientSubscribeOptions> = Object.fromEntries(
        source.subscriptions.map((s) => [s.pattern.filter, { qos: 1 as const, rh: 1 }]),
      );
      if (source.brokerStats) requested[DROPPED_TOPIC] = { qos: 0, rh: 1 };

      // The holder this process found in the record on its first connect: its
      // predecessor (or, if another bridge runs, that one). Undefined until read.
      let predecessor: string | undefined;
      let claimed = false;
      const stopTakenOver = (how: string) => {
        takenOver.add(source.id);
        sessionsTakenOver.inc({ source: source.id });
        // Reconnecting would take the session back and start a tug of war, each side
        // redelivering the other's unacknowledged messages. This source stops here.
        logger.error(
          { source: source.id, clientId: source.clientId, how },
          "mqtt session taken over by another client with this client id: is a second bridge running? Not reconnecting",
        );
        client.end(true);
        resolve();
      };

      // Every connect: bring the session's subscriptions in line with the
      // configuration, then report ready (after the SUBACK, not the CONNACK).
      const applySubscriptions = async (sessionPresent: boolean): Promise<"complete" | "refused" | "taken over"> => {
        const record = await readSubscriptionRecord(client, recordTopic, RECORD_TIMEOUT_MS);
        // Another process claimed the session since this one did: it connected
        // with the same client id while this one was connected.
        if (claimed && record.holder && record.holder !== instance && record.holder !== predecessor)
          return "taken over";
        if (!claimed) predecessor = record.holder;
        if (!record.readable || (sessionPresent && !record.filters))
          logger.warn(
            { source: source.id, clientId: source.clientId, recordTopic, readable: record.readable },
            "no record of the subscriptions last applied: subscribing every configured topic, unsubscribing none",
          );
        const plan = planSubscriptions(Object.keys(requested), record.filters, sessionPresent, source.protocolVersion);
        const grants = await subscribe(
          client,
          Object.fromEntries(plan.subscribe.map((filter) => [filter, requested[filter] ?? { qos: 1 }])),
        );
        const refused = new Set<string>();
        for (const grant of grants) {
          if (grant.granted >= grant.requested && !isRefusal(grant.granted)) continue;
          const outcome = isRefusal(grant.granted) ? "refused" : `qos${grant.granted}`;
          subscriptionDowngrades.inc({ source: source.id, granted: outcome });
          if (outcome === "refused") refused.add(grant.filter);
          // A QoS 0 grant loses what arrives while the bridge is away or crashes; a refusal, everything.
          logger[outcome === "refused" ? "error" : "warn"](
            { source: source.id, filter: grant.filter, requested: grant.requested, granted: grant.granted },
            outcome === "refused" ? "mqtt subscription refused" : "mqtt subscription downgraded",
          );
        }
        await unsubscribe(client, plan.unsubscribe);
        if (record.readable) {
          const filters = Object.keys(requested).filter((f) => !refused.has(f));
          await writeSubscriptionRecord(client, recordTopic, { filters, holder: instance });
          claimed = true;
        }
        logger.info(
          { source: source.id, subscribed: plan.subscribe, unsubscribed: plan.unsubscribe, refused: [...refused] },
          "mqtt subscribed",
        );
        return refused.size === 0 ? "complete" : "refused";
      };

      client.on("connect", (connack) => {
        logger.info({ source: source.id, sessionPresent: connack.sessionPresent }, "mqtt connected");
        applySubscriptions(connack.sessionPresent).then(
          (outcome) => {
            if (outcome === "taken over") return stopTakenOver("the subscription record names another bridge process");
            if (!client.connected) return;
            if (outcome === "complete") connected.add(source.id);
            resolve();
          },
          // The connection went while subscribing: the next connect applies them again.
          (error: unknown) => logger.warn({ source: source.id, reason: reasonOf(error) }, "mqtt subscribe failed"),
        );
      });
      // MQTT 5 brokers that say why they end a connection name a takeover at once.
      client.on("disconnect", (packet) => {
        if (packet.reasonCode === SESSION_TAKEN_OVER) stopTakenOver("DISCONNECT reason 0x8E");
      });
      client.on("close", () => {
        acks.reset();
        // Reads held on the old connection are never resumed: their callbacks would
        // acknowledge on the new connection, where the broker sends the same ids again.
        state.paused.clear();
        if (connected.delete(source.id) && !stopping && !takenOver.has(source.id))
          logger.warn({ source: source.id }, "mqtt connection lost, reconnecting");
      });
      // mqtt.js reports the broker's refusal (bad credentials, not authorised) here; never the password.
      client.on("error", (error) => logger.error({ source: source.id, reason: reasonOf(error) }, "mqtt error"));
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
    // Ready: connected to Kafka and every broker, and below the in-flight bounds
    // everywhere (at one, the broker keeps the rest or drops it once its queue is full).
    isReady: () =>
      producerConnected &&
      deps.producer.refusal === undefined &&
      connected.size === deps.sources.length &&
      [...perSource.values()].every((s) => s.inFlight < deps.maxInFlight && s.inFlightBytes < deps.maxInFlightBytes),
  };
}

function noLog(): void {}

/** What a message occupies while in flight: the PUBLISH packet after its fixed header (topic, properties, payload). */
function packetBytes(packet: IPublishPacket): number {
  return packet.length ?? Buffer.byteLength(packet.topic) + packet.payload.length;
}
