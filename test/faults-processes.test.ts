import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, inject, it } from "vitest";
import { type Pipeline, startPipeline } from "./pipeline.ts";

const servers = inject("servers");
const devices = 10;

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
      await sleep(3_000);
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
      for (const stage of ["bridge", "normalizer", "writer"] as const) {
        await sleep(2_500);
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
        // and drops silently past it. Killed after about 1,250 of 2,000 messages,
        // the session holds at most the 750 still to come plus those the bridge had
        // not acknowledged, however long the restart takes.
        const count = 2_000;
        const published = pipeline.publish({ count, rate: 250 });
        await sleep(5_000);
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
