import { createRequire } from "node:module";
import { gzipSync } from "node:zlib";
import { InfluxDB, type Point, type Transport } from "@influxdata/influxdb-client";
import { observationsToLines, observationToPoint } from "@stadtfluss/influx";
import { headerString, topicsFor } from "@stadtfluss/kafka";
import type { MqttSource } from "@stadtfluss/mqtt-bridge/config";
import { rawMessage } from "@stadtfluss/mqtt-bridge/raw-message";
import { parseTopicPattern } from "@stadtfluss/mqtt-bridge/topic-pattern";
import { observationRecords } from "@stadtfluss/normalizer";
import { decoders } from "@stadtfluss/normalizer/decoders";
import {
  defaultDecoderContext,
  type NormalizeOptions,
  type ObservationVersion,
} from "@stadtfluss/normalizer/normalize";
import { rawRecordOf } from "@stadtfluss/normalizer/raw-record";
import { defaultRedeliverySettings, Redeliveries } from "@stadtfluss/normalizer/redeliveries";
import { defaultTimePolicy } from "@stadtfluss/normalizer/time-policy";
import { DeviceRegistry } from "@stadtfluss/registry";
import { parseObservation, readObservationRecords } from "@stadtfluss/schemas";
import { loadDeviceName, numberedPayload, uniqueName } from "@stadtfluss/testing";
import type { Message } from "kafkajs";
import type { IPublishPacket, Packet } from "mqtt";
import { Registry } from "prom-client";
import { createProduceEncoder, decodeFetchResponse, fetchResponseChunks } from "./kafka-wire.ts";

/**
 * A worker's whole CPU path for one batch of messages, in memory: what it
 * receives as bytes on its sockets to what it writes to them, nothing waiting
 * on the network. Messages/s per core from these rows is the CPU-only bound of
 * each stage; the baseline is JSON.parse of the batch's payloads.
 */
export interface WholeStageRow {
  readonly stage: string;
  readonly input: string;
  /** What one message's cost includes, for the report. */
  readonly includes: string;
  readonly messagesPerBatch: number;
  readonly run: () => Promise<unknown>;
  readonly baseline: string;
  readonly runBaseline: () => unknown;
}

/** Messages per batch: what one fetch or one bridge produce request carries at a few thousand msg/s. */
const N = 1_000;
/** As the end-to-end bench: 1,000 devices publishing in turn, one tenant, the local mock cluster's layout. */
const TENANT = "musterstadt";
const PARTITIONS = 3;
const BROKERS = 3;
const MAX_PAYLOAD_BYTES = 256 * 1024;
const MQTT_VERSION = 5;

// mqtt.js's own packet codec, resolved from mqtt so that it is the version mqtt.js uses.
const mqttPacket = createRequire(import.meta.resolve("mqtt"))("mqtt-packet") as {
  parser(options: { protocolVersion: number }): {
    on(event: "packet", listener: (packet: Packet) => void): void;
    parse(buffer: Buffer): number;
  };
  generate(packet: Packet, options: { protocolVersion: number }): Buffer;
};

/** stadtfluss-json with three readings, as a traffic counter with an air sensor sends them. */
const threeReadings = (seq: number, time: number) =>
  Buffer.from(
    `{"seq":${seq},"time":${time},"readings":[{"kind":"traffic.vehicle_count","value":${seq % 50},"unit":"{vehicle}"},` +
      `{"kind":"traffic.average_speed","value":41.5,"unit":"km/h"},{"kind":"air.pm10","value":12.3,"unit":"ug/m3"}]}`,
  );

const parseEach = (payloads: readonly Buffer[]) => () => {
  for (const payload of payloads) JSON.parse(payload.toString("utf8"));
};

/**
 * The HTTP transport's part before the socket: NodeHttpTransport turns the body
 * into a Buffer and gzips it above the write API's `gzipThreshold` (asynchronously,
 * on libuv's thread pool: the process's CPU, not the event loop's).
 */
function inMemoryTransport() {
  const sent = { bodies: 0, bytes: 0, gzippedBytes: 0, body: "" };
  const transport: Transport = {
    send(_path, body, options, callbacks) {
      const buffer = Buffer.from(body, "utf8");
      sent.bodies++;
      sent.bytes = buffer.length;
      // Kept, not counted here: the rows' checks count its lines outside the measured path.
      sent.body = body;
      if (options.gzipThreshold !== undefined && options.gzipThreshold < buffer.length)
        sent.gzippedBytes = gzipSync(buffer).length;
      callbacks?.responseStarted?.({}, 204);
      callbacks?.complete?.();
    },
    request: () => Promise.reject(new Error("not over the network")),
    iterate: () => {
      throw new Error("not over the network");
    },
    chunkCombiner: undefined as unknown as Transport["chunkCombiner"],
  };
  return { transport, sent };
}

export async function wholeStageRows(): Promise<WholeStageRow[]> {
  const id = uniqueName("bench-stadtfluss");
  const topics = topicsFor(`${id}.`);
  const source: MqttSource = {
    id: "city",
    url: "mqtt://localhost",
    clientId: "stadtfluss-bridge",
    brokerStats: false,
    protocolVersion: MQTT_VERSION,
    keepalive: 60,
    subscriptions: [{ format: "stadtfluss-json", pattern: parseTopicPattern(`${id}/{tenant}/{device}/up`) }],
  };
  const publishedAt = Date.now();
  const seq = 17;
  const payloads = Array.from({ length: N }, (_, i) => Buffer.from(numberedPayload(seq, publishedAt + i)));

  // mqtt-bridge: PUBLISH packets as Mosquitto sends them, all in one read.
  const publishBytes = Buffer.concat(
    payloads.map((payload, i) =>
      mqttPacket.generate(
        {
          cmd: "publish",
          topic: `${id}/${TENANT}/${loadDeviceName(i)}/up`,
          payload,
          qos: 1,
          messageId: i + 1,
          retain: false,
          dup: false,
        },
        { protocolVersion: MQTT_VERSION },
      ),
    ),
  );
  const parser = mqttPacket.parser({ protocolVersion: MQTT_VERSION });
  let received: IPublishPacket[] = [];
  parser.on("packet", (packet) => {
    if (packet.cmd === "publish") received.push(packet);
  });
  const bridgeProduce = createProduceEncoder({
    partitions: PARTITIONS,
    brokers: BROKERS,
    clientId: "stadtfluss-mqtt-bridge",
  });
  const bridge = async () => {
    received = [];
    parser.parse(publishBytes);
    const messages: Message[] = [];
    for (const packet of received) {
      // mqtt.js writes the PUBACK (held by OrderedAcks until Kafka has the message).
      mqttPacket.generate(
        { cmd: "puback", messageId: packet.messageId ?? 0, reasonCode: 0 },
        { protocolVersion: MQTT_VERSION },
      );
      // As mqtt-bridge.ts's forward().
      const message = rawMessage(source, packet, new Date());
      if (message.value.length > MAX_PAYLOAD_BYTES) throw new Error("payload over the limit");
      messages.push(message);
    }
    const requests = await bridgeProduce([{ topic: topics.raw, messages }]);
    return { messages, requests };
  };
  const bridged = await bridge();
  if (bridged.messages.length !== N) throw new Error(`the bridge row read ${bridged.messages.length} of ${N} packets`);
  const publishBytesPerMessage = Math.round(publishBytes.length / N);
  const produceBytes = bridged.requests.reduce((sum, r) => sum + r.length, 0);

  // normalizer: the raw records the bridge produced, fetched back in one batch.
  const rawChunks = await fetchResponseChunks({
    topic: topics.raw,
    partition: 0,
    firstOffset: 0,
    messages: bridged.messages,
  });
  const registry = new DeviceRegistry(
    Array.from({ length: N }, (_, i) => ({
      id: loadDeviceName(i),
      tenant: TENANT,
      location: { lat: 51.05 + i / 10_000, lon: 13.74 },
      district: `district-${i % 10}`,
      privacy: "public" as const,
    })),
  );
  // As the end-to-end bench runs it: no registry, the default time policy.
  const withoutRegistry: NormalizeOptions = { decoders, context: defaultDecoderContext, timePolicy: defaultTimePolicy };
  const withRegistry: NormalizeOptions = {
    ...withoutRegistry,
    registry: () => registry,
    unknownDevices: "dead-letter",
  };
  const normalizerProduce = createProduceEncoder({
    partitions: PARTITIONS,
    brokers: BROKERS,
    clientId: "stadtfluss-normalizer",
  });
  const redeliveries = new Redeliveries(defaultRedeliverySettings, new Registry());
  const normalizer =
    (options: NormalizeOptions, chunks: readonly Buffer[] = rawChunks, version: ObservationVersion = 1) =>
    async () => {
      const observations: Message[] = [];
      let count = 0;
      for (const batch of await decodeFetchResponse(chunks, "0")) {
        // As normalizer.ts's batch handler, for records that normalize, its redelivery bookkeeping included.
        for (const message of batch.messages) {
          const result = redeliveries.normalize(rawRecordOf(message), options).observations;
          count += result.length;
          for (const record of observationRecords(result, version)) observations.push(record);
        }
      }
      const requests = await normalizerProduce([{ topic: topics.observations, messages: observations }]);
      return { observations, count, requests };
    };
  const normalized = await normalizer(withoutRegistry)();
  const enriched = await normalizer(withRegistry)();
  for (const result of [normalized, enriched])
    if (result.observations.length !== N)
      throw new Error(`the normalizer row produced ${result.observations.length} of ${N} observations`);
  const rawBytes = rawChunks.reduce((sum, c) => sum + c.length, 0);

  // Three readings per message (a counter with speed and air quality), as records per observation (v1) or per message (v3, v4).
  const threeReadingChunks = await fetchResponseChunks({
    topic: topics.raw,
    partition: 0,
    firstOffset: 0,
    messages: bridged.messages.map((message, i) => ({ ...message, value: threeReadings(seq, publishedAt + i) })),
  });
  const threeReadingRows = new Map<ObservationVersion, Awaited<ReturnType<ReturnType<typeof normalizer>>>>();
  for (const version of [1, 3, 4] as const) {
    const result = await normalizer(withoutRegistry, threeReadingChunks, version)();
    if (result.count !== 3 * N) throw new Error(`the v${version} normalizer row produced ${result.count} of ${3 * N}`);
    threeReadingRows.set(version, result);
  }

  // influx-writer: the observations the normalizer produced, fetched back in one batch.
  const observationChunks = await fetchResponseChunks({
    topic: topics.observations,
    partition: 0,
    firstOffset: 0,
    messages: normalized.observations,
  });
  const observationValues = normalized.observations.map((m) => Buffer.from(m.value as string));
  /** `point`: the schema and the client's Point, as the writer did before readObservationRecord and observationToLine. */
  const writer = (gzip: boolean, via: "line" | "point" = "line", chunks: readonly Buffer[] = observationChunks) => {
    const { transport, sent } = inMemoryTransport();
    // As ObservationWriter configures the client's write API (packages/influx).
    const maxPoints = 5_000;
    const api = new InfluxDB({ url: "http://influxdb.invalid", transport }).getWriteApi("", id, "ms", {
      batchSize: maxPoints + 1,
      flushInterval: 0,
      maxRetries: 0,
      maxBufferLines: Number.MAX_SAFE_INTEGER,
      gzipThreshold: gzip ? 1_000 : Number.POSITIVE_INFINITY,
    });
    const run = async () => {
      for (const batch of await decodeFetchResponse(chunks, "0")) {
        // As influx-writer.ts's handle() and ObservationWriter.write().
        if (via === "point") {
          const points: Point[] = [];
          for (const message of batch.messages) points.push(observationToPoint(parseObservation(message.value ?? "")));
          api.writePoints(points.slice(0, maxPoints));
        } else {
          const lines: string[] = [];
          for (const message of batch.messages) {
            const observations = readObservationRecords(
              message.value ?? "",
              headerString(message.headers, "content-type"),
            );
            for (const { line } of observationsToLines(observations)) lines.push(line);
          }
          api.writeRecords(lines.slice(0, maxPoints));
        }
        await api.flush();
      }
    };
    return { run, sent };
  };
  const plainWriter = writer(false);
  const gzipWriter = writer(true);
  const pointWriter = writer(false, "point");
  await plainWriter.run();
  await gzipWriter.run();
  await pointWriter.run();
  if (pointWriter.sent.bytes !== plainWriter.sent.bytes) throw new Error("the writer rows' bodies differ");
  if (plainWriter.sent.bodies !== 1 || plainWriter.sent.gzippedBytes !== 0 || gzipWriter.sent.gzippedBytes === 0)
    throw new Error("the writer row sent no body, or an unzipped one");
  const observationBytes = observationChunks.reduce((sum, c) => sum + c.length, 0);
  const threeReadingWriters = new Map<ObservationVersion, ReturnType<typeof writer>>();
  for (const [version, result] of threeReadingRows) {
    const chunks = await fetchResponseChunks({
      topic: topics.observations,
      partition: 0,
      firstOffset: 0,
      messages: result.observations,
    });
    const three = writer(false, "line", chunks);
    await three.run();
    if (three.sent.bodies !== 1) throw new Error(`the v${version} writer row sent no body`);
    threeReadingWriters.set(version, three);
  }
  // v3: a message's counter and speed are one point, one line; v1 writes a line per observation; v4 what v3 does.
  const linesOf = (version: ObservationVersion) => threeReadingWriters.get(version)?.sent.body.split("\n").length;
  if (linesOf(1) !== 3 * N || linesOf(3) !== 2 * N) throw new Error("the v1 and v3 writer rows wrote other lines");
  if (threeReadingWriters.get(4)?.sent.body !== threeReadingWriters.get(3)?.sent.body)
    throw new Error("the v4 writer row wrote other lines than the v3 row");

  const kib = (bytes: number) => `${Math.round(bytes / 1024)} KiB`;
  const rawParse = "JSON.parse of each payload";
  return [
    {
      stage: "mqtt-bridge",
      input: `${N.toLocaleString("en")} PUBLISH (MQTT 5, QoS 1, ${publishBytesPerMessage} B each) → ${bridged.requests.length} Produce v7 requests (${kib(produceBytes)})`,
      includes:
        "mqtt-packet parse of the PUBLISH and write of its PUBACK; the bridge's route, headers and record; kafkajs partitioning (murmur2), records with headers, record batches with CRC32C and the Produce request frames. Not: mqtt.js's client bookkeeping, the sink's promises, metrics.",
      messagesPerBatch: N,
      run: bridge,
      baseline: rawParse,
      runBaseline: parseEach(payloads),
    },
    {
      stage: "normalizer",
      input: `Fetch v11 response of ${N.toLocaleString("en")} raw records (${kib(rawBytes)}) → ${normalized.requests.length} Produce v7 requests`,
      includes:
        "kafkajs Fetch response decode (record batch, varints, headers) and Batch; the raw record from the headers; the redelivery bookkeeping (a checksum of each payload, the last message per topic and packet identifier); normalize (stadtfluss-json: decode, convert, time policy, validate); serializeObservation; produce encoding as for the bridge. No registry, as in the end-to-end bench. Not: metrics, offset commit.",
      messagesPerBatch: N,
      run: normalizer(withoutRegistry),
      baseline: rawParse,
      runBaseline: parseEach(payloads),
    },
    {
      stage: "normalizer, with a registry",
      input: `as above, each device in a registry of ${N.toLocaleString("en")} (location, district, privacy)`,
      includes: "As the row above, plus the registry's device type lookup and enrichment.",
      messagesPerBatch: N,
      run: normalizer(withRegistry),
      baseline: rawParse,
      runBaseline: parseEach(payloads),
    },
    ...([1, 3, 4] as const).map((version) => {
      const result = threeReadingRows.get(version);
      return {
        stage: `normalizer, three readings per message, observation v${version}`,
        input: `Fetch v11 response of ${N.toLocaleString("en")} raw records of three readings → ${result?.observations.length.toLocaleString("en")} observation records, ${result?.requests.length} Produce v7 requests`,
        includes:
          version === 1
            ? "As the normalizer row, with three readings per message: one record per observation (NORMALIZER_OBSERVATION_VERSION 1 and 2)."
            : version === 3
              ? "As the v1 row, but one record per message and device, a list of its observations (NORMALIZER_OBSERVATION_VERSION=3)."
              : "As the v3 row, with what the readings share written once (NORMALIZER_OBSERVATION_VERSION=4).",
        messagesPerBatch: N,
        run: normalizer(withoutRegistry, threeReadingChunks, version),
        baseline: rawParse,
        runBaseline: parseEach(payloads),
      };
    }),
    ...([1, 3, 4] as const).map((version) => ({
      stage: `influx-writer, three readings per message, observation v${version}`,
      input: `Fetch v11 response of the row above's ${threeReadingRows.get(version)?.observations.length.toLocaleString("en")} records → one write body of ${(version === 1 ? 3 * N : 2 * N).toLocaleString("en")} lines`,
      includes:
        "As the influx-writer row, for the records of the normalizer row of the same version: readObservationRecords reads one observation per v1 record, a list per v3 or v4 record, and observationsToLines writes a record's observations of one point as one line (v3: the counter and the speed).",
      messagesPerBatch: N,
      run: threeReadingWriters.get(version)?.run ?? (() => Promise.reject(new Error("no writer row"))),
      baseline: "JSON.parse of each observation",
      runBaseline: parseEach(observationValues),
    })),
    {
      stage: "influx-writer",
      input: `Fetch v11 response of ${N.toLocaleString("en")} observations (${kib(observationBytes)}) → one write body (${kib(plainWriter.sent.bytes)})`,
      includes:
        "kafkajs Fetch response decode and Batch; readObservationRecord (the records carry the observation content type); observationToLine; the InfluxDB client's body of those lines (WriteApi.writeRecords and flush, as ObservationWriter configures it) up to the body's bytes. Not gzipped: INFLUX_GZIP is off by default. Not: the HTTP request, metrics.",
      messagesPerBatch: N,
      run: plainWriter.run,
      baseline: "JSON.parse of each observation",
      runBaseline: parseEach(observationValues),
    },
    {
      stage: "influx-writer, through the schema and the client's Point",
      input: "as above",
      includes:
        "As the row above, but each observation through parseObservation (the zod schema), observationToPoint and WriteApi.writePoints (the client's Point and its line protocol), as the writer did before readObservationRecord and observationToLine: the same body.",
      messagesPerBatch: N,
      run: pointWriter.run,
      baseline: "JSON.parse of each observation",
      runBaseline: parseEach(observationValues),
    },
    {
      stage: "influx-writer, INFLUX_GZIP=true",
      input: `as above, body gzipped to ${kib(gzipWriter.sent.gzippedBytes)}`,
      includes:
        "As the row above, plus gzip of the body at zlib's default level, as the client does for bodies over 1,000 B when INFLUX_GZIP is set: on libuv's thread pool, the process's CPU but not its event loop's.",
      messagesPerBatch: N,
      run: gzipWriter.run,
      baseline: "JSON.parse of each observation",
      runBaseline: parseEach(observationValues),
    },
  ];
}
