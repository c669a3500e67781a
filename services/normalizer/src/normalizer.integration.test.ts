import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { UnavailableError } from "@stadtfluss/errors";
import {
  createConsumer,
  createKafka,
  createProducer,
  deadLetterHeaders,
  headerString,
  Kafka,
  kafkaEnv,
  kafkaSettingsFrom,
  logLevel,
  type Producer,
  rawHeaders,
  topicsFor,
} from "@stadtfluss/kafka";
import { readObservationRecords } from "@stadtfluss/schemas";
import { createLogger, createPipelineMetrics } from "@stadtfluss/telemetry";
import { readMessages, startWorker, uniqueName, type WorkerProcess } from "@stadtfluss/testing";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { decoders } from "./decoders/index.ts";
import { defaultDecoderContext } from "./normalize.ts";
import { createNormalizer } from "./normalizer.ts";
import type { Decoder } from "./raw-record.ts";

const servers = inject("servers");

const registered = (ids: string[]) =>
  "tenants: [{ id: musterstadt, name: Musterstadt, kind: municipality }]\n" +
  `devices:\n${ids.map((id) => `  - { id: ${id}, tenant: musterstadt, district: Altstadt, privacy: public }\n`).join("")}`;

describe("the normalizer with a device registry, over the real Kafka", () => {
  const prefix = `${uniqueName("registry")}.`;
  const topics = topicsFor(prefix);
  const registryFile = join(mkdtempSync(join(tmpdir(), "sf-registry-")), "devices.yaml");
  let normalizer: WorkerProcess;
  let producer: Producer;

  const rawRecord = (device: string, tenant = "musterstadt") => ({
    key: device,
    value: JSON.stringify({ time: Date.now(), readings: [{ kind: "air.pm10", value: 7, unit: "ug/m3" }] }),
    headers: {
      [rawHeaders.source]: "city",
      [rawHeaders.format]: "stadtfluss-json",
      [rawHeaders.tenant]: tenant,
      [rawHeaders.mqttTopic]: `stadtfluss/${tenant}/${device}/up`,
      [rawHeaders.receivedAt]: new Date().toISOString(),
    },
  });

  beforeAll(async () => {
    writeFileSync(registryFile, registered(["air-0001"]));
    normalizer = await startWorker("normalizer", {
      KAFKA_BROKERS: servers.kafkaBrokers.join(","),
      KAFKA_TOPIC_PREFIX: prefix,
      KAFKA_GROUP_ID: `${prefix}normalizer`,
      NORMALIZER_REGISTRY: registryFile,
      NORMALIZER_REGISTRY_RELOAD_MS: "200",
      NORMALIZER_UNKNOWN_DEVICES: "quarantine",
    });
    const kafka = new Kafka({ clientId: "test-producer", brokers: servers.kafkaBrokers, logLevel: logLevel.NOTHING });
    producer = kafka.producer();
    await producer.connect();
  });

  afterAll(async () => {
    await producer?.disconnect();
    await normalizer?.stop();
  });

  it("enriches a registered device, quarantines an unknown one for replay and dead-letters a foreign tenant's", async () => {
    await producer.send({
      topic: topics.raw,
      messages: [rawRecord("air-0001"), rawRecord("air-0404"), rawRecord("air-0001", "anderstadt")],
    });

    const [observation] = await readMessages(servers.kafkaBrokers, topics.observations, 1);
    expect(JSON.parse(observation?.value?.toString() ?? "")).toMatchObject({
      deviceId: "air-0001",
      district: "Altstadt",
      privacy: "public",
    });

    const [quarantined] = await readMessages(servers.kafkaBrokers, topics.quarantine, 1);
    expect(quarantined?.key?.toString()).toBe("air-0404");
    expect(headerString(quarantined?.headers, deadLetterHeaders.stage)).toBe("enrich");
    expect(headerString(quarantined?.headers, deadLetterHeaders.message)).toBe(
      "unknown device air-0404 of tenant musterstadt",
    );
    expect(headerString(quarantined?.headers, rawHeaders.format)).toBe("stadtfluss-json");

    const [foreign] = await readMessages(servers.kafkaBrokers, topics.deadLetter, 1);
    expect(headerString(foreign?.headers, deadLetterHeaders.stage)).toBe("enrich");
    expect(headerString(foreign?.headers, deadLetterHeaders.message)).toMatch(/not to anderstadt/);

    // Once registered (hot reload, no restart), the quarantined record replays into an observation.
    writeFileSync(registryFile, registered(["air-0001", "air-0404"]));
    await normalizer.waitForLine(/"msg":"device registry reloaded"/, 10_000);
    const originalHeaders = Object.fromEntries(
      Object.entries(quarantined?.headers ?? {}).filter(([name]) => !name.startsWith("__connect.errors.")),
    );
    await producer.send({
      topic: topics.raw,
      messages: [{ key: quarantined?.key ?? null, value: quarantined?.value ?? null, headers: originalHeaders }],
    });
    const observations = await readMessages(servers.kafkaBrokers, topics.observations, 2);
    expect(observations.map((o) => JSON.parse(o.value?.toString() ?? "").deviceId).sort()).toEqual([
      "air-0001",
      "air-0404",
    ]);
  });

  it("does not start with a broken registry: exit code 78 and every problem with file and line", async () => {
    const broken = join(mkdtempSync(join(tmpdir(), "sf-registry-")), "devices.yaml");
    writeFileSync(
      broken,
      "devices:\n  - { id: air-0001, tenant: musterstadt, privacy: public }\n  - { id: air-0002 }\n",
    );
    const worker = await startWorker(
      "normalizer",
      { KAFKA_BROKERS: servers.kafkaBrokers.join(","), KAFKA_TOPIC_PREFIX: prefix, NORMALIZER_REGISTRY: broken },
      { waitForStart: false },
    );
    expect((await worker.exited).code).toBe(78);
    expect(worker.output).toContain(`  - ${broken}:3: devices[1].tenant: is required`);
    expect(worker.output).toContain(`  - ${broken}:3: devices[1].privacy: is required`);
  });
});

describe("the normalizer when a decoder is briefly unavailable, over the real Kafka", () => {
  it("tries the batch again instead of dead-lettering it", async () => {
    const prefix = `${uniqueName("retry")}.`;
    const topics = topicsFor(prefix);
    const settings = kafkaSettingsFrom(
      kafkaEnv.parse({ KAFKA_BROKERS: servers.kafkaBrokers.join(","), KAFKA_TOPIC_PREFIX: prefix }),
      { clientId: "normalizer-retry-test" },
    );
    const logger = createLogger("normalizer", "silent");
    const kafka = createKafka(settings, logger);
    // Unavailable for its first two calls, as the codec sandbox is while it loads a fresh module.
    let calls = 0;
    const stadtfluss = decoders.get("stadtfluss-json") as Decoder;
    const flaky: Decoder = {
      format: "stadtfluss-json",
      decode(record, context) {
        calls++;
        if (calls <= 2) throw new UnavailableError("the codec sandbox is loading a fresh WebAssembly module");
        return stadtfluss.decode(record, context);
      },
    };
    const metrics = createPipelineMetrics("normalizer");
    const normalizer = createNormalizer({
      consumer: createConsumer(kafka, settings, `${prefix}normalizer`),
      producer: createProducer(kafka, logger),
      topics,
      normalizeOptions: { decoders: new Map([["stadtfluss-json", flaky]]), context: defaultDecoderContext },
      maxRequestBytes: settings.maxRequestBytes,
      logger,
      metrics,
    });
    const producer = kafka.producer();
    await producer.connect();
    try {
      await normalizer.start({ fatal: (error) => expect.fail(String(error)), finished: () => undefined });
      await producer.send({
        topic: topics.raw,
        messages: [
          {
            key: "air-0001",
            value: JSON.stringify({ time: Date.now(), readings: [{ kind: "air.pm10", value: 7, unit: "ug/m3" }] }),
            headers: {
              [rawHeaders.source]: "city",
              [rawHeaders.format]: "stadtfluss-json",
              [rawHeaders.tenant]: "musterstadt",
              [rawHeaders.receivedAt]: new Date().toISOString(),
            },
          },
        ],
      });
      const [observation] = await readMessages(servers.kafkaBrokers, topics.observations, 1);
      expect(JSON.parse(observation?.value?.toString() ?? "")).toMatchObject({ deviceId: "air-0001", value: 7 });
      expect(calls).toBe(3);
      // Observations and dead letters of a batch go in one request: none was sent with it.
      expect((await metrics.deadLetters.get()).values.reduce((sum, v) => sum + v.value, 0)).toBe(0);
      expect((await metrics.retries.get()).values.reduce((sum, v) => sum + v.value, 0)).toBe(2);
    } finally {
      await producer.disconnect();
      await normalizer.stop();
    }
  });
});

describe("the normalizer under observation v3 and v4, over the real Kafka", () => {
  it.each([3, 4] as const)(
    "under v%i produces one record per message and device, each with every observation of that device",
    async (version) => {
      const prefix = `${uniqueName(`v${version}`)}.`;
      const topics = topicsFor(prefix);
      const settings = kafkaSettingsFrom(
        kafkaEnv.parse({ KAFKA_BROKERS: servers.kafkaBrokers.join(","), KAFKA_TOPIC_PREFIX: prefix }),
        { clientId: `normalizer-v${version}-test` },
      );
      const logger = createLogger("normalizer", "silent");
      const kafka = createKafka(settings, logger);
      const normalizer = createNormalizer({
        consumer: createConsumer(kafka, settings, `${prefix}normalizer`),
        producer: createProducer(kafka, logger),
        topics,
        normalizeOptions: { decoders, context: defaultDecoderContext, observationVersion: version },
        maxRequestBytes: settings.maxRequestBytes,
        logger,
        metrics: createPipelineMetrics("normalizer"),
      });
      const producer = kafka.producer();
      await producer.connect();
      const raw = (key: string, format: string, value: unknown) => ({
        key,
        value: JSON.stringify(value),
        headers: {
          [rawHeaders.source]: "city",
          [rawHeaders.format]: format,
          [rawHeaders.tenant]: "musterstadt",
          [rawHeaders.receivedAt]: new Date().toISOString(),
        },
      });
      try {
        await normalizer.start({ fatal: (error) => expect.fail(String(error)), finished: () => undefined });
        await producer.send({
          topic: topics.raw,
          messages: [
            // A gateway's SenML pack: two readings of one sensor, one of another.
            raw("gw-1", "senml", [
              { bn: "urn:dev:ow:10e2073a01080063:", n: "temperature", u: "Cel", v: 21.5 },
              { n: "humidity", u: "%RH", v: 40 },
              { bn: "urn:dev:ow:10e2073a01080064:", n: "temperature", u: "Cel", v: 22 },
            ]),
            raw("air-0001", "stadtfluss-json", {
              time: Date.now(),
              readings: [{ kind: "air.pm10", value: 7, unit: "ug/m3" }],
            }),
          ],
        });
        const records = await readMessages(servers.kafkaBrokers, topics.observations, 3);
        const byKey = Object.fromEntries(
          records.map((record) => {
            const contentType = headerString(record.headers, "content-type");
            expect(contentType).toBe(`stadtfluss.observation.v${version}`);
            const list = readObservationRecords(record.value ?? "", contentType);
            for (const observation of list) expect(observation.deviceId).toBe(record.key?.toString());
            return [record.key?.toString(), list.map((observation) => observation.kind)];
          }),
        );
        expect(byKey).toEqual({
          "urn:dev:ow:10e2073a01080063": ["air.temperature", "air.humidity"],
          "urn:dev:ow:10e2073a01080064": ["air.temperature"],
          "air-0001": ["air.pm10"],
        });
      } finally {
        await producer.disconnect();
        await normalizer.stop();
      }
    },
  );
});
