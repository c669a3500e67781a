import { setTimeout as sleep } from "node:timers/promises";
import { type LocalServers, startLocalServers } from "@stadtfluss/testing";
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

  it("InfluxDB stopped for 60 s: the writer waits, reports not ready, and catches up", {
    timeout: 240_000,
  }, async () => {
    const pipeline = await startPipeline(servers.addresses);
    try {
      const count = 7_000;
      const published = pipeline.publish({ count, rate: 100 });
      await sleep(3_000);
      await servers.influx.stopServer();
      const stoppedAt = Date.now();

      // Not ready while it cannot write; alive all the same.
      let notReady = false;
      while (!notReady && Date.now() - stoppedAt < 20_000) {
        await sleep(500);
        notReady = (await fetch(`${pipeline.workers.writer.opsUrl}/readyz`)).status === 503;
      }
      expect(notReady).toBe(true);
      expect((await fetch(`${pipeline.workers.writer.opsUrl}/healthz`)).status).toBe(200);

      await sleep(Math.max(0, 60_000 - (Date.now() - stoppedAt)));
      await servers.influx.startServer();
      expect((await published).acknowledged).toBe(count);

      const report = await pipeline.audit(count, 120_000);
      expect(report.missing).toBe(0);
      expect(report.devices.reduce((sum, d) => sum + d.messages, 0)).toBe(count);
      expect((await fetch(`${pipeline.workers.writer.opsUrl}/readyz`)).status).toBe(200);
      expect(pipeline.workers.writer.output.join("\n")).toContain("InfluxDB unavailable, retrying");
    } finally {
      await pipeline.stop();
    }
  });

  it("a Kafka broker down for 30 s: the bridge holds back acknowledgements, nothing is lost", {
    timeout: 240_000,
  }, async () => {
    const pipeline = await startPipeline(servers.addresses, {
      // Consumers notice leadership and broker changes within seconds.
      normalizer: { KAFKA_METADATA_MAX_AGE_MS: "3000" },
      writer: { KAFKA_METADATA_MAX_AGE_MS: "3000" },
    });
    try {
      const count = 4_000;
      const published = pipeline.publish({ count, rate: 100 });
      await sleep(3_000);
      await servers.kafka.command("down 2");
      await sleep(31_000);
      await servers.kafka.command("up 2");
      expect((await published).acknowledged).toBe(count);

      const report = await pipeline.audit(count, 120_000);
      expect(report.missing).toBe(0);
      expect(report.devices.reduce((sum, d) => sum + d.messages, 0)).toBe(count);
    } finally {
      await pipeline.stop();
    }
  });

  it("Mosquitto restarted: the bridge reconnects, and messages queued for its session arrive", async () => {
    const pipeline = await startPipeline(servers.addresses);
    try {
      // A restart while messages flow.
      const first = pipeline.publish({ count: 1_500, rate: 150 });
      await sleep(3_000);
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
  });
});
