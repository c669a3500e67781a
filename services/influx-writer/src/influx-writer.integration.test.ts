import { createDatabase, influxQL } from "@stadtfluss/influx";
import { deadLetterHeaders, headerString, Kafka, logLevel, topicsFor } from "@stadtfluss/kafka";
import { OBSERVATION_SCHEMA_ID, type Observation, serializeObservation } from "@stadtfluss/schemas";
import {
  metricSum,
  readiness,
  readMessages,
  startInfluxDB,
  startWorker,
  uniqueName,
  type WorkerProcess,
} from "@stadtfluss/testing";
import { afterEach, describe, expect, inject, it } from "vitest";

const servers = inject("servers");

/** An observation of one device's pm10, as the normalizer writes it. */
function pm10(deviceId: string, at: string, privacy: Observation["privacy"]): Observation {
  return {
    tenant: "musterstadt",
    deviceId,
    kind: "air.pm10",
    value: 7,
    unit: "ug/m3",
    observedAt: at,
    receivedAt: at,
    source: "city",
    privacy,
  };
}

/** How many pm10 values the database holds. */
async function storedPm10(url: string, database: string): Promise<number> {
  const [series = []] = await influxQL({ url, database }, 'SELECT count("pm10") FROM "air"');
  return Number(series[0]?.values[0]?.[1] ?? 0);
}

/** The writer's settings for a test's own topics (`prefix`) and database. */
function writerEnv(prefix: string, influxUrl: string, database: string): Record<string, string> {
  return {
    KAFKA_BROKERS: servers.kafkaBrokers.join(","),
    KAFKA_TOPIC_PREFIX: prefix,
    KAFKA_GROUP_ID: `${prefix}writer`,
    INFLUX_URL: influxUrl,
    INFLUX_BUCKET: database,
  };
}

describe("the influx-writer when InfluxDB reaches a capacity limit", () => {
  it("waits, alerts and reports not ready instead of dead-lettering, and writes everything once the limit is raised", {
    timeout: 120_000,
  }, async () => {
    const influx = await startInfluxDB({ limits: { maxSeriesPerDatabase: 2 } });
    const prefix = `${uniqueName("capacity")}.`;
    const db = prefix.replaceAll(/[.-]/g, "_");
    await createDatabase({ url: influx.url, database: db });
    const kafka = new Kafka({ clientId: "test-producer", brokers: servers.kafkaBrokers, logLevel: logLevel.NOTHING });
    const producer = kafka.producer();
    await producer.connect();
    const devices = ["air-0001", "air-0002", "air-0003", "air-0004"];
    const at = new Date().toISOString();
    await producer.send({
      topic: topicsFor(prefix).observations,
      messages: devices.map((deviceId) => ({
        key: deviceId,
        value: serializeObservation(pm10(deviceId, at, "personal")),
        headers: { "content-type": OBSERVATION_SCHEMA_ID },
      })),
    });
    await producer.disconnect();

    const writer = await startWorker("influx-writer", writerEnv(prefix, influx.url, db));
    const stored = () => storedPm10(influx.url, db);
    try {
      const line = await writer.waitForLine(/"msg":"InfluxDB refuses points, a limit is reached"/, 30_000);
      expect(line).toContain('"level":"error"');
      expect(line).toContain('"limit":"series"');
      await expect.poll(() => readiness(writer), { timeout: 30_000 }).toBe(503);
      const metrics = await (await fetch(`${writer.opsUrl}/metrics`)).text();
      expect(metricSum(metrics, "stadtfluss_influx_capacity_refusals_total")).toBeGreaterThan(0);
      expect(metricSum(metrics, "stadtfluss_dead_letters_total")).toBe(0);

      // The operator raises the limit: everything held back is written, nothing was lost.
      influx.setLimits({});
      await influx.stopServer();
      await influx.startServer();
      await expect.poll(stored, { timeout: 60_000 }).toBe(devices.length);
      await expect.poll(() => readiness(writer), { timeout: 30_000 }).toBe(200);
      const after = await (await fetch(`${writer.opsUrl}/metrics`)).text();
      expect(metricSum(after, "stadtfluss_dead_letters_total")).toBe(0);
    } finally {
      await writer.stop();
      await influx.stop();
    }
  });
});

describe("the influx writer's dead letters", () => {
  let writer: WorkerProcess | undefined;

  afterEach(async () => {
    await writer?.stop();
    writer = undefined;
  });

  it("dead-letters a forged record that carries the observation content type but is no observation", async () => {
    const prefix = `${uniqueName("writer-forged")}.`;
    const topics = topicsFor(prefix);
    const db = prefix.replaceAll(/[.-]/g, "_");
    await createDatabase({ url: servers.influxUrl, database: db });
    const at = new Date().toISOString();
    const observation = {
      tenant: "musterstadt",
      deviceId: "air-0001",
      kind: "air.pm10",
      value: 12.3,
      unit: "ug/m3",
      observedAt: at,
      receivedAt: at,
      source: "city",
      privacy: "public",
    } as const;
    // Each breaks one rule of the schema, under the header the normalizer sends; the last one is fine.
    const bodies = [
      JSON.stringify({ ...observation, observedAt: "yesterday" }),
      JSON.stringify({ ...observation, unit: "mg/m3" }),
      JSON.stringify({ ...observation, deviceId: `air ${"x".repeat(5_000)}` }),
      JSON.stringify({ ...observation, location: { lat: 91, lon: 0 } }),
      serializeObservation({ ...observation, deviceId: "air-0002" }),
    ];
    const producer = new Kafka({ brokers: servers.kafkaBrokers, logLevel: logLevel.NOTHING }).producer();
    await producer.connect();
    try {
      await producer.send({
        topic: topics.observations,
        acks: -1,
        messages: bodies.map((value) => ({ key: "air", value, headers: { "content-type": OBSERVATION_SCHEMA_ID } })),
      });
    } finally {
      await producer.disconnect();
    }
    writer = await startWorker("influx-writer", writerEnv(prefix, servers.influxUrl, db));

    const deadLetters = await readMessages(servers.kafkaBrokers, topics.deadLetter, 4, 60_000);
    expect(deadLetters.map((d) => headerString(d.headers, deadLetterHeaders.offset)).sort()).toEqual([
      "0",
      "1",
      "2",
      "3",
    ]);
    for (const letter of deadLetters) {
      expect(headerString(letter.headers, deadLetterHeaders.stage)).toBe("parse");
      // Bounded, though the third record quotes 5,000 characters.
      expect(headerString(letter.headers, deadLetterHeaders.message)?.length).toBeLessThan(1_000);
    }
    const reasons = deadLetters.map((d) => headerString(d.headers, deadLetterHeaders.message) ?? "").join("\n");
    for (const field of ["observedAt", "unit", "deviceId", "lat"]) expect(reasons).toContain(field);
    await expect.poll(() => storedPm10(servers.influxUrl, db), { timeout: 30_000 }).toBe(1);
  });

  it("stores dead letters that together exceed message.max.bytes, and the partition moves on", async () => {
    const prefix = `${uniqueName("writer-dlq")}.`;
    const topics = topicsFor(prefix);
    // 2,500 records of one device that are no observation: 400 KB read in one
    // batch (one request: the local broker answers a fetch with one produce
    // request's records), over 1 MB once each carries its dead-letter headers.
    const count = 2_500;
    const producer = new Kafka({ brokers: servers.kafkaBrokers, logLevel: logLevel.NOTHING }).producer();
    await producer.connect();
    try {
      await producer.send({
        topic: topics.observations,
        acks: -1,
        messages: Array.from({ length: count }, (_, i) => ({
          key: "air-0001",
          value: JSON.stringify({ tenant: "musterstadt", deviceId: "air-0001", n: i, note: "x".repeat(100) }),
        })),
      });
    } finally {
      await producer.disconnect();
    }
    writer = await startWorker("influx-writer", writerEnv(prefix, servers.influxUrl, prefix.replaceAll(/[.-]/g, "_")));

    const deadLetters = await readMessages(servers.kafkaBrokers, topics.deadLetter, count, 60_000);
    expect(new Set(deadLetters.map((d) => headerString(d.headers, deadLetterHeaders.offset))).size).toBe(count);
    expect(deadLetters.every((d) => headerString(d.headers, deadLetterHeaders.stage) === "parse")).toBe(true);
  });
});

describe("the influx-writer waiting for larger fetches", () => {
  it("writes what arrived within KAFKA_FETCH_MAX_WAIT_MS in one request when KAFKA_FETCH_MIN_BYTES is not reached", async () => {
    const prefix = `${uniqueName("writer-min-bytes")}.`;
    const db = prefix.replaceAll(/[.-]/g, "_");
    await createDatabase({ url: servers.influxUrl, database: db });
    const writer = await startWorker("influx-writer", {
      ...writerEnv(prefix, servers.influxUrl, db),
      KAFKA_FETCH_MIN_BYTES: "1048576",
      KAFKA_FETCH_MAX_WAIT_MS: "5000",
    });
    const producer = new Kafka({ brokers: servers.kafkaBrokers, logLevel: logLevel.NOTHING }).producer();
    const sends = 20;
    const perSend = 10;
    try {
      await producer.connect();
      const at = new Date().toISOString();
      const observations = (send: number, count: number) =>
        Array.from({ length: count }, (_, i) => ({
          key: "air",
          value: serializeObservation(pm10(`air-${String(send * perSend + i).padStart(4, "0")}`, at, "public")),
          headers: { "content-type": OBSERVATION_SCHEMA_ID },
        }));
      const topic = topicsFor(prefix).observations;
      const stored = () => storedPm10(servers.influxUrl, db);
      const writes = async () =>
        metricSum(await (await fetch(`${writer.opsUrl}/metrics`)).text(), "stadtfluss_batch_write_seconds_count");
      // Once the first record is written, the writer is in the group and fetching.
      await producer.send({ topic, acks: -1, messages: observations(sends, 1) });
      await expect.poll(stored, { timeout: 60_000 }).toBe(1);
      const before = await writes();
      // One partition (one key), one request after another: a fetch answered at the first record gets one or a few.
      for (let send = 0; send < sends; send++)
        await producer.send({ topic, acks: -1, messages: observations(send, perSend) });
      await expect.poll(stored, { timeout: 60_000 }).toBe(1 + sends * perSend);
      // Two where a fetch's wait happened to end while the records were being sent.
      expect((await writes()) - before).toBeLessThanOrEqual(2);
    } finally {
      await producer.disconnect();
      await writer.stop();
    }
  });
});
