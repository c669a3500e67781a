import { setTimeout as sleep } from "node:timers/promises";
import { type LocalServers, readiness, startLocalServers } from "@stadtfluss/testing";
import { Kafka, logLevel } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startPipeline } from "./pipeline.ts";

/**
 * Outages of the servers themselves. These tests stop and restart servers, so
 * they run on servers of their own, with the project's Mosquitto queue settings.
 */
describe("no data lost when a server goes away", () => {
  let servers: LocalServers;

  beforeAll(async () => {
    servers = await startLocalServers({ queues: "stadtfluss" });
  });

  afterAll(async () => {
    await servers?.stop();
  });

  const partitionLeader = async (topic: string, partition: number) => {
    const admin = new Kafka({ brokers: servers.addresses.kafkaBrokers, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
      const leader = topics[0]?.partitions.find((p) => p.partitionId === partition)?.leader;
      if (leader === undefined) throw new Error(`no leader for ${topic} partition ${partition}`);
      return leader;
    } finally {
      await admin.disconnect();
    }
  };

  it("InfluxDB stopped for 60 s: the writer waits, reports not ready, and catches up", {
    timeout: 240_000,
  }, async () => {
    const pipeline = await startPipeline(servers.addresses);
    // The later tests share these servers: a failure here must not leave InfluxDB down.
    let influxStopped = false;
    try {
      const count = 7_000;
      const published = pipeline.publish({ count, rate: 100 });
      await published.reached(300);
      await servers.influx.stopServer();
      influxStopped = true;
      const stoppedAt = Date.now();

      // Not ready while it cannot write; alive all the same.
      await expect.poll(() => readiness(pipeline.workers.writer), { timeout: 20_000, interval: 500 }).toBe(503);
      expect((await fetch(`${pipeline.workers.writer.opsUrl}/healthz`)).status).toBe(200);

      await sleep(Math.max(0, 60_000 - (Date.now() - stoppedAt)));
      await servers.influx.startServer();
      influxStopped = false;
      expect((await published).acknowledged).toBe(count);

      const report = await pipeline.audit(count, 120_000);
      expect(report.missing).toBe(0);
      expect(report.devices.reduce((sum, d) => sum + d.messages, 0)).toBe(count);
      // Everything can be stored before the last partition's retry loop ends: a batch
      // InfluxDB stored while its answer was lost (a timeout as it came back) is only
      // written again, and the writer ready, after that partition's backoff.
      await expect.poll(() => readiness(pipeline.workers.writer), { timeout: 30_000, interval: 500 }).toBe(200);
      expect(pipeline.workers.writer.output.join("\n")).toContain("InfluxDB unavailable, retrying");
    } finally {
      await pipeline.stop();
      if (influxStopped) await servers.influx.startServer();
    }
  });

  it.each([
    // MQTT 3.1.1: Mosquitto's window of unacknowledged messages leaves the rest in the session queue.
    { bridgeProtocol: 4, outageSeconds: 30, count: 4_000, bridge: {}, heldAtBound: false },
    // MQTT 5: the window is the bridge's own; a low in-flight bound makes it stop
    // reading mid-outage and read on afterwards. A shorter outage keeps the suite short.
    { bridgeProtocol: 5, outageSeconds: 10, count: 1_800, bridge: { BRIDGE_MAX_IN_FLIGHT: "200" }, heldAtBound: true },
  ] as const)(
    "a Kafka broker down for $outageSeconds s, the bridge on MQTT $bridgeProtocol: it holds back acknowledgements, nothing is lost",
    {
      timeout: 240_000,
    },
    async ({ bridgeProtocol, outageSeconds, count, bridge, heldAtBound }) => {
      const pipeline = await startPipeline(
        servers.addresses,
        {
          bridge,
          // Consumers notice leadership and broker changes within seconds.
          normalizer: { KAFKA_METADATA_MAX_AGE_MS: "3000" },
          writer: { KAFKA_METADATA_MAX_AGE_MS: "3000" },
        },
        { bridgeProtocol },
      );
      try {
        // The mock picks partition leaders at random: take down the one that leads a
        // raw partition, so that the bridge's writes (every batch has records for it) wait.
        const broker = await partitionLeader(`${pipeline.topicPrefix}raw.v1`, 0);
        const published = pipeline.publish({ count, rate: 100 });
        await published.reached(300);
        await servers.kafka.command(`down ${broker}`);
        await sleep(outageSeconds * 1_000 + 1_000);
        const readyDuringOutage = await readiness(pipeline.workers.bridge);
        await servers.kafka.command(`up ${broker}`);
        // Held at its in-flight bound, the bridge says so (and reads nothing more).
        if (heldAtBound) expect(readyDuringOutage).toBe(503);
        expect((await published).acknowledged).toBe(count);

        const report = await pipeline.audit(count, 120_000);
        expect(report.missing).toBe(0);
        expect(report.devices.reduce((sum, d) => sum + d.messages, 0)).toBe(count);
      } finally {
        await pipeline.stop();
      }
    },
  );

  it("every Kafka broker down for 30 s: no worker gives up, nothing is lost", { timeout: 240_000 }, async () => {
    const pipeline = await startPipeline(
      servers.addresses,
      {
        normalizer: { KAFKA_METADATA_MAX_AGE_MS: "3000" },
        writer: { KAFKA_METADATA_MAX_AGE_MS: "3000" },
      },
      { bridgeProtocol: 5 },
    );
    try {
      // Longer than kafkajs's own retries of a metadata refresh (about 20 s), after
      // which a send gives up however many retries the producer was given.
      const count = 3_000;
      const published = pipeline.publish({ count, rate: 75 });
      await published.reached(225);
      await servers.kafka.command("down -1");
      await sleep(30_000);
      await servers.kafka.command("up -1");
      expect((await published).acknowledged).toBe(count);

      const report = await pipeline.audit(count, 120_000);
      expect(report.missing).toBe(0);
      expect(report.devices.reduce((sum, d) => sum + d.messages, 0)).toBe(count);
      for (const worker of Object.values(pipeline.workers)) expect(worker.process.exitCode).toBeNull();
    } finally {
      await pipeline.stop();
    }
  });

  it.each([4, 5] as const)(
    "Mosquitto restarted, the bridge on MQTT %s: it reconnects, and messages queued for its session arrive",
    async (bridgeProtocol) => {
      const pipeline = await startPipeline(servers.addresses, {}, { bridgeProtocol });
      try {
        // A restart while messages flow.
        const first = pipeline.publish({ count: 1_500, rate: 150 });
        await first.reached(450);
        await servers.mosquitto.restart();
        expect((await first).acknowledged).toBe(1_500);
        expect((await pipeline.audit(1_500)).missing).toBe(0);

        // Messages published while the bridge is away wait in its persistent
        // session, across a broker restart.
        const { code } = await pipeline.workers.bridge.stop();
        expect(code).toBe(0);
        const queued = await pipeline.publish({ count: 500, rate: 1_000 });
        expect(queued.acknowledged).toBe(500);
        await servers.mosquitto.restart();
        await pipeline.restart("bridge");
        // The second batch numbers its messages from 0 again: 1,500 + 500 points in all.
        const total = await pipeline.waitForCount('SELECT count("seq") AS n FROM "traffic"', 2_000, 60_000);
        expect(total).toBe(2_000);
        expect(pipeline.workers.bridge.output.join("\n")).toContain('"sessionPresent":true');
      } finally {
        await pipeline.stop();
      }
    },
  );
});
