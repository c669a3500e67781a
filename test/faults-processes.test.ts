import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { deadLetterHeaders, headerString, topicsFor } from "@stadtfluss/kafka";
import {
  loadDeviceName,
  metricSum,
  publishNumbered,
  readMessages,
  startTcpProxy,
  uniqueName,
  type WorkerProcess,
} from "@stadtfluss/testing";
import mqtt from "mqtt";
import { describe, expect, inject, it } from "vitest";
import { type Pipeline, startPipeline } from "./pipeline.ts";

const servers = inject("servers");
const devices = 10;

/** Polls a worker's counter until it reaches `value`; false if it does not within the time. */
async function waitForMetric(worker: WorkerProcess, name: string, value: number, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const text = await (await fetch(`${worker.opsUrl}/metrics`)).text();
    if (metricSum(text, name) >= value) return true;
    await sleep(100);
  }
  return false;
}

/** The audit finds every sequence number of every device, each device's messages once. */
async function expectEveryMessage(pipeline: Pipeline, count: number): Promise<void> {
  const report = await pipeline.audit(count);
  expect(report.missing).toBe(0);
  expect(report.devices).toHaveLength(devices);
  for (const device of report.devices) expect(device.messages, device.device).toBe(count / devices);
}

/**
 * Each test publishes numbered messages, hurts the pipeline mid-stream, and then
 * proves with the audit command that every sequence number of every device is in
 * InfluxDB (replays collapse: the same series and time overwrite themselves).
 */
describe("no data lost when workers die or stop", () => {
  it.each(["normalizer", "writer"] as const)("SIGKILL of the %s mid-stream, then a restart", async (stage) => {
    const pipeline = await startPipeline(servers);
    try {
      const count = 3_000;
      const published = pipeline.publish({ count, rate: 300 });
      await published.reached(count * 0.3);
      pipeline.workers[stage].process.kill("SIGKILL");
      expect((await pipeline.workers[stage].exited).signal).toBe("SIGKILL");
      await sleep(1_000);
      await pipeline.restart(stage);
      expect((await published).acknowledged).toBe(count);

      await expectEveryMessage(pipeline, count);
    } finally {
      await pipeline.stop();
    }
  });

  it("SIGTERM of each worker in turn mid-stream: each stops cleanly in time, nothing is lost", async () => {
    const pipeline = await startPipeline(servers);
    try {
      const count = 4_000;
      const published = pipeline.publish({ count, rate: 250 });
      for (const [turn, stage] of (["bridge", "normalizer", "writer"] as const).entries()) {
        await published.reached(((turn + 1) * count) / 4);
        const started = Date.now();
        const { code } = await pipeline.workers[stage].stop(15_000);
        expect({ stage, code }).toEqual({ stage, code: 0 });
        expect(Date.now() - started).toBeLessThan(10_000);
        await pipeline.restart(stage);
      }
      expect((await published).acknowledged).toBe(count);
      await expectEveryMessage(pipeline, count);
    } finally {
      await pipeline.stop();
    }
  });

  it("a replay of every observation by a second writer changes nothing in InfluxDB", async () => {
    const pipeline = await startPipeline(servers);
    try {
      const count = 1_000;
      await pipeline.publish({ count, rate: 1_000 });
      expect((await pipeline.audit(count)).missing).toBe(0);
      const before = await pipeline.query('SELECT count("seq") AS n FROM "traffic"');

      // A new consumer group reads the observations topic from the start again.
      const replay = { ...pipeline.env.writer, KAFKA_GROUP_ID: `${pipeline.env.writer.KAFKA_GROUP_ID}-replay` };
      const { startWorker } = await import("@stadtfluss/testing");
      const second = await startWorker("influx-writer", replay);
      try {
        await second.waitForLine(/"msg":"started"/);
        // Wait until the replaying writer has committed everything it read.
        const deadline = Date.now() + 30_000;
        let lag = Number.POSITIVE_INFINITY;
        while (Date.now() < deadline && lag !== 0) {
          await sleep(500);
          const metrics = await (await fetch(`${second.opsUrl}/metrics`)).text();
          const written = Number(
            /stadtfluss_messages_out_total\{[^}]*topic="influxdb"[^}]*\} (\d+)/.exec(metrics)?.[1] ?? 0,
          );
          lag = count - written;
        }
        expect(lag).toBe(0);
      } finally {
        await second.stop();
      }
      expect(await pipeline.query('SELECT count("seq") AS n FROM "traffic"')).toEqual(before);
      const report = await pipeline.audit(count);
      expect(report.devices.flatMap((d) => d.duplicates)).toEqual([]);
    } finally {
      await pipeline.stop();
    }
  });
});

describe("no data lost when the bridge dies", () => {
  it.each([4, 5] as const)(
    "SIGKILL of the bridge on MQTT %s mid-stream, then a restart with the same client id",
    async (bridgeProtocol) => {
      const pipeline = await startPipeline(servers, {}, { bridgeProtocol });
      try {
        // The shared Mosquitto keeps Mosquitto's default max_queued_messages (1,000)
        // and drops silently past it. Killed once it has stored 1,250 of 2,000
        // messages in Kafka, the bridge leaves in its session at most the 750 still
        // to come plus the few it stored but had not acknowledged, however slow the
        // machine and however long the restart takes.
        const count = 2_000;
        const published = pipeline.publish({ count, rate: 250 });
        await published.reached(1_250);
        expect(await waitForMetric(pipeline.workers.bridge, "stadtfluss_messages_out_total", 1_250)).toBe(true);
        pipeline.workers.bridge.process.kill("SIGKILL");
        expect((await pipeline.workers.bridge.exited).signal).toBe("SIGKILL");
        const bridge = await pipeline.restart("bridge");
        expect(await bridge.waitForLine(/"msg":"mqtt connected"/)).toContain('"sessionPresent":true');
        expect((await published).acknowledged).toBe(count);

        await expectEveryMessage(pipeline, count);
      } finally {
        await pipeline.stop();
      }
    },
  );
});

/** A generic-JSON device type without `timePath`: its readings take the bridge's receive time. */
function receiveTimeRegistry(tenant: string): string {
  const file = join(mkdtempSync(join(tmpdir(), "sf-redelivery-")), "registry.yaml");
  const devicesYaml = Array.from(
    { length: devices },
    (_, i) => `  - { id: ${loadDeviceName(i)}, tenant: ${tenant}, type: counter-without-clock, privacy: public }`,
  );
  writeFileSync(
    file,
    [
      `tenants: [{ id: ${tenant}, name: Musterstadt, kind: municipality }]`,
      "deviceTypes:",
      "  - id: counter-without-clock",
      "    seqPath: seq",
      '    fields: [{ path: vehicles, kind: traffic.vehicle_count, unit: "{vehicle}" }]',
      "devices:",
      ...devicesYaml,
      "",
    ].join("\n"),
  );
  return file;
}

describe("no second point from a copy the broker sends again, on a format without a clock", () => {
  it.each([4, 5] as const)(
    "SIGKILL of the bridge on MQTT %s after Kafka stored messages it had not acknowledged: each message is one point",
    async (bridgeProtocol) => {
      const prefix = uniqueName("redelivery");
      const tenant = uniqueName("t");
      // Between the bridge and Mosquitto: holds the bridge's PUBACKs back, as a crash right after Kafka's ack does.
      const proxy = await startTcpProxy(servers.mqttUrl);
      const pipeline = await startPipeline(
        servers,
        {
          bridge: {
            MQTT_SOURCES: JSON.stringify([
              {
                id: "city",
                url: proxy.url,
                clientId: `${prefix}-bridge`,
                protocolVersion: bridgeProtocol,
                subscriptions: [{ topic: `${prefix}/{tenant}/{device}/up`, format: "generic-json" }],
              },
            ]),
          },
          normalizer: { NORMALIZER_REGISTRY: receiveTimeRegistry(tenant) },
        },
        { tenant },
      );
      const publish = (firstMessage: number, count: number) =>
        publishNumbered({
          url: servers.mqttUrl,
          topicPrefix: prefix,
          tenant: pipeline.tenant,
          devices,
          count,
          firstMessage,
          rate: 200,
          payload: (seq) => `{"seq":${seq},"vehicles":${seq % 50}}`,
        });
      const stored = 'SELECT count("seq") AS n FROM "traffic"';
      try {
        expect((await publish(0, 100)).acknowledged).toBe(100);
        expect(await pipeline.waitForCount(stored, 100)).toBe(100);

        // Mosquitto sends at least its window of 20 unacknowledged messages; the
        // bridge stores them in Kafka, the pipeline in InfluxDB, and no PUBACK arrives.
        proxy.holdClientBytes();
        expect((await publish(100, 100)).acknowledged).toBe(100);
        expect(await pipeline.waitForCount(stored, 120)).toBeGreaterThanOrEqual(120);
        pipeline.workers.bridge.process.kill("SIGKILL");
        expect((await pipeline.workers.bridge.exited).signal).toBe("SIGKILL");

        // The session sends them again, flagged as duplicates, at a new receive time.
        const bridge = await pipeline.restart("bridge");
        expect(await bridge.waitForLine(/"msg":"mqtt connected"/)).toContain('"sessionPresent":true');
        const report = await pipeline.audit(200, 60_000);
        expect(report.missing).toBe(0);
        expect(report.devices.map((d) => [d.device, d.messages, d.duplicates])).toEqual(
          Array.from({ length: devices }, (_, i) => [loadDeviceName(i), 20, []]),
        );
        const metrics = await (await fetch(`${pipeline.workers.normalizer.opsUrl}/metrics`)).text();
        const matched = metrics
          .split("\n")
          .filter(
            (line) => line.startsWith("stadtfluss_redelivered_messages_total{") && line.includes('outcome="matched"'),
          );
        expect(metricSum(matched.join("\n"), "stadtfluss_redelivered_messages_total")).toBeGreaterThanOrEqual(20);
      } finally {
        await pipeline.stop();
        await proxy.stop();
      }
    },
  );

  it("a retained message without a clock, sent when the bridge subscribes, is a dead letter and no point; one with its own time is stored", async () => {
    const prefix = uniqueName("retained");
    const tenant = uniqueName("t");
    const [clockless, clocked] = [loadDeviceName(0), loadDeviceName(1)];
    const topics = {
      clockless: `${prefix}/clockless/${tenant}/${clockless}/up`,
      clocked: `${prefix}/clocked/${tenant}/${clocked}/up`,
    };
    // Published before the bridge ever subscribed: the broker keeps them and sends them on subscribing.
    const publisher = await mqtt.connectAsync(servers.mqttUrl, { clientId: `${prefix}-publisher` });
    const publishRetained = async (payloads: Record<keyof typeof topics, string>) => {
      for (const [name, payload] of Object.entries(payloads))
        await publisher.publishAsync(topics[name as keyof typeof topics], payload, { qos: 1, retain: true });
    };
    await publishRetained({
      clockless: '{"seq":0,"vehicles":3}',
      clocked: JSON.stringify({
        seq: 0,
        time: Date.now(),
        readings: [{ kind: "traffic.vehicle_count", value: 4, unit: "{vehicle}" }],
      }),
    });
    const pipeline = await startPipeline(
      servers,
      {
        bridge: {
          MQTT_SOURCES: JSON.stringify([
            {
              id: "city",
              url: servers.mqttUrl,
              clientId: `${prefix}-bridge`,
              subscriptions: [
                { topic: `${prefix}/clockless/{tenant}/{device}/up`, format: "generic-json" },
                { topic: `${prefix}/clocked/{tenant}/{device}/up`, format: "stadtfluss-json" },
              ],
            },
          ]),
        },
        normalizer: { NORMALIZER_REGISTRY: receiveTimeRegistry(tenant) },
      },
      { tenant },
    );
    try {
      const [letter] = await readMessages(servers.kafkaBrokers, topicsFor(pipeline.topicPrefix).deadLetter, 1);
      expect(headerString(letter?.headers, "stadtfluss.mqtt.topic")).toBe(topics.clockless);
      expect(headerString(letter?.headers, deadLetterHeaders.stage)).toBe("policy");
      expect(headerString(letter?.headers, deadLetterHeaders.message)).toMatch(
        /^retained message without a time of its own/,
      );
      const stored = (device: string) => `SELECT count("seq") AS n FROM "traffic" WHERE device = '${device}'`;
      expect(await pipeline.waitForCount(stored(clocked), 1)).toBe(1);
      expect(await pipeline.query(stored(clockless))).toEqual([]);
    } finally {
      await pipeline.stop();
      await publishRetained({ clockless: "", clocked: "" });
      await publisher.endAsync();
    }
  });
});
