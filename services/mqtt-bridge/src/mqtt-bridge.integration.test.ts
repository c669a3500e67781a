import { setTimeout as sleep } from "node:timers/promises";
import { deadLetterHeaders, headerString, Kafka, logLevel, topicsFor } from "@stadtfluss/kafka";
import {
  bridgeEnvironment,
  type KafkaBroker,
  loadDeviceName,
  metricSum,
  publishNumbered,
  readiness,
  readMessages,
  startKafkaBroker,
  startMosquitto,
  startWorker,
  uniqueName,
  workerMetric,
} from "@stadtfluss/testing";
import mqtt from "mqtt";
import { afterAll, beforeAll, describe, expect, inject, it, vi } from "vitest";

const servers = inject("servers");
/** A cluster of its own: these tests take its brokers down. */
let kafka: KafkaBroker;

/** Far beyond what answering /metrics takes on any machine, far below a stall. */
const PROBE_TIMEOUT_MS = 5_000;

/** Polls `condition` until it holds or `timeoutMs` passed; returns whether it held. */

/**
 * Asks the bridge's /metrics over and over until stopped. Each answer must come
 * within PROBE_TIMEOUT_MS; the longest time between two answers is reported as
 * a measurement (timings belong in the benchmark, not in assertions).
 */
function probeMetrics(opsUrl: string) {
  const answers: { ok: boolean; text: string }[] = [];
  let stopped = false;
  let last = performance.now();
  let worstGapMs = 0;
  const loop = (async () => {
    while (!stopped) {
      const answer = await fetch(`${opsUrl}/metrics`, { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) }).then(
        async (response) => ({ ok: response.ok, text: await response.text() }),
        () => ({ ok: false, text: "" }),
      );
      answers.push(answer);
      if (answer.ok) {
        worstGapMs = Math.max(worstGapMs, performance.now() - last);
        last = performance.now();
      }
      await sleep(100);
    }
  })();
  return {
    answers,
    async stop() {
      stopped = true;
      await loop;
      console.info(`/metrics: ${answers.length} probes, worst gap between answers ${Math.round(worstGapMs)} ms`);
      return answers;
    },
  };
}

/**
 * Reads the raw topic until every device's numbered messages (seq 0 to
 * perDevice − 1) are there, and checks that nothing else is. A message may come
 * twice (at least once: a batch Kafka half took is sent again); none may be missing.
 */
async function expectEveryMessage(topic: string, devices: number, perDevice: number): Promise<void> {
  const expected = devices * perDevice;
  const seen = new Set<string>();
  const consumer = new Kafka({ brokers: kafka.brokers, logLevel: logLevel.NOTHING }).consumer({
    groupId: uniqueName("reader"),
    maxWaitTimeInMs: 100,
  });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        const { seq } = JSON.parse(message.value?.toString() ?? "{}") as { seq: number };
        seen.add(`${message.key?.toString()}#${seq}`);
      },
    });
    await vi.waitFor(
      () => {
        if (seen.size < expected) throw new Error(`${seen.size} of ${expected} messages in ${topic}`);
      },
      { timeout: 120_000, interval: 200 },
    );
  } finally {
    await consumer.disconnect();
  }
  const missing = Array.from({ length: devices }, (_, d) => loadDeviceName(d)).flatMap((device) =>
    Array.from({ length: perDevice }, (_, seq) => `${device}#${seq}`).filter((key) => !seen.has(key)),
  );
  expect(missing).toEqual([]);
  expect(seen.size).toBe(expected);
}

function bridgeEnv(
  id: string,
  source: Record<string, unknown>,
  extra: Record<string, string> = {},
): Record<string, string> {
  return { ...bridgeEnvironment({ id, kafkaBrokers: kafka.brokers, mqttUrl: servers.mqttUrl, source }), ...extra };
}

describe("the bridge with much in flight, over the real servers", () => {
  beforeAll(async () => {
    kafka = await startKafkaBroker();
  });

  afterAll(async () => {
    await kafka?.stop();
  });

  it("releases 150,000 acknowledgements held behind one message Kafka could not take yet, answering /metrics throughout; every message arrives once", {
    timeout: 300_000,
  }, async () => {
    // MQTT 3.1.1 with an unlimited window: the broker sends all it has, and every
    // acknowledgement waits behind the first message until Kafka has that one.
    const mosquitto = await startMosquitto({ extra: ["max_inflight_messages 0"] });
    const id = uniqueName("held");
    const topics = topicsFor(`${id}.`);
    // The raw topic led by brokers 1 and 2, the dead-letter topic by broker 3:
    // with broker 3 down, an oversized message's dead letter waits while the
    // messages after it are stored.
    await kafka.createTopic(topics.raw, 3);
    await kafka.createTopic(topics.deadLetter, 3);
    for (const p of [0, 1, 2]) {
      await kafka.command(`leader ${topics.raw} ${p} ${1 + (p % 2)}`);
      await kafka.command(`leader ${topics.deadLetter} ${p} 3`);
    }
    const bridge = await startWorker(
      "mqtt-bridge",
      bridgeEnv(id, { url: mosquitto.url, protocolVersion: 4 }, { BRIDGE_MAX_PAYLOAD_BYTES: "1024" }),
    );
    try {
      await kafka.command("down 3");
      const publisher = await mqtt.connectAsync(mosquitto.url, { clientId: `${id}-big` });
      await publisher.publishAsync(`${id}/musterstadt/big-0001/up`, Buffer.alloc(2_000, 0x7b), { qos: 1 });
      await publisher.endAsync();
      const devices = 100;
      const count = 150_000;
      const published = await publishNumbered({
        url: mosquitto.url,
        topicPrefix: id,
        tenant: "musterstadt",
        devices,
        count,
        rate: 20_000,
      });
      expect(published.acknowledged).toBe(count);
      // Stored in Kafka, not acknowledged to the broker: held behind the dead letter.
      await expect.poll(() => workerMetric(bridge, "stadtfluss_messages_out_total"), { timeout: 120_000 }).toBe(count);
      expect(await workerMetric(bridge, "stadtfluss_mqtt_unacknowledged_messages")).toBe(count + 1);

      const probes = probeMetrics(bridge.opsUrl);
      await expect.poll(() => probes.answers.length, { timeout: 60_000 }).toBeGreaterThanOrEqual(10);
      await kafka.command("up 3");
      let answers: { ok: boolean; text: string }[] = [];
      try {
        await expect
          .poll(() => workerMetric(bridge, "stadtfluss_mqtt_unacknowledged_messages"), { timeout: 120_000 })
          .toBe(0);
      } finally {
        answers = await probes.stop();
      }
      expect(answers.length).toBeGreaterThanOrEqual(10);
      expect(answers.filter((a) => !a.ok)).toEqual([]);

      await expectEveryMessage(topics.raw, devices, count / devices);
      const [deadLetter] = await readMessages(kafka.brokers, topics.deadLetter, 1);
      expect(headerString(deadLetter?.headers, deadLetterHeaders.stage)).toBe("admit");
    } finally {
      await bridge.stop();
      await mosquitto.stop();
    }
  });

  it("stops reading at its byte bound while Kafka is away, keeps its connection and answers /metrics; then every message arrives", {
    timeout: 240_000,
  }, async () => {
    const id = uniqueName("bytes");
    const maxBytes = 65_536;
    const keepaliveSeconds = 2;
    const bridge = await startWorker(
      "mqtt-bridge",
      bridgeEnv(
        id,
        // MQTT 5: the Receive Maximum (65,535 messages) is far above what the bytes allow.
        { protocolVersion: 5, keepalive: keepaliveSeconds },
        { BRIDGE_MAX_IN_FLIGHT_BYTES: String(maxBytes), BRIDGE_MAX_PAYLOAD_BYTES: "4096" },
      ),
    );
    try {
      await kafka.command("down -1");
      const devices = 10;
      const count = 3_000;
      const published = await publishNumbered({
        url: servers.mqttUrl,
        topicPrefix: id,
        tenant: "musterstadt",
        devices,
        count,
        rate: 2_000,
      });
      expect(published.acknowledged).toBe(count);
      await expect.poll(() => readiness(bridge), { timeout: 60_000 }).toBe(503);

      // Held for several keepalives: the broker's PINGRESPs wait behind the held read.
      const probes = probeMetrics(bridge.opsUrl);
      await sleep(4 * keepaliveSeconds * 1_000);
      const answers = await probes.stop();
      expect(answers.length).toBeGreaterThanOrEqual(10);
      expect(answers.filter((a) => !a.ok)).toEqual([]);
      const last = answers.at(-1)?.text ?? "";
      const bytes = metricSum(last, "stadtfluss_mqtt_in_flight_bytes");
      const read = metricSum(last, "stadtfluss_messages_in_total");
      // Past the bound by the one message that crossed it, no more.
      expect(bytes).toBeGreaterThan(maxBytes);
      expect(bytes).toBeLessThan(maxBytes + 1_024);
      expect(read).toBeLessThan(count);
      expect(await readiness(bridge)).toBe(503);

      await kafka.command("up -1");
      await expectEveryMessage(topicsFor(`${id}.`).raw, devices, count / devices);
      await expect.poll(() => readiness(bridge), { timeout: 60_000 }).toBe(200);
      expect(bridge.output.join("\n")).not.toContain("mqtt connection lost");
    } finally {
      await bridge.stop();
    }
  });

  it("stops at start-up with exit code 78 on a bad BRIDGE_MAX_IN_FLIGHT_BYTES", async () => {
    const bridge = await startWorker(
      "mqtt-bridge",
      bridgeEnv(uniqueName("bad"), {}, { BRIDGE_MAX_IN_FLIGHT_BYTES: "64MB" }),
      { waitForStart: false },
    );
    expect((await bridge.exited).code).toBe(78);
    expect(bridge.output.join("\n")).toContain("BRIDGE_MAX_IN_FLIGHT_BYTES: must be a whole number");
  });
});
