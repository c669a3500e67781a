import { setTimeout as sleep } from "node:timers/promises";
import {
  type LoadResult,
  loadDeviceName,
  metricSum,
  publishNumbered,
  startMosquitto,
  startWorker,
  type WorkerProcess,
} from "@stadtfluss/testing";
import { describe, expect, inject, it } from "vitest";
import { type AuditReport, startPipeline } from "./pipeline.ts";

const servers = inject("servers");
const devices = 10;
/**
 * Per source: 40 s of load at 100 messages per second, so that after the fault (a
 * quarter in) the group still has messages to share once the killed members'
 * sessions ran out (10 s).
 */
const count = 4_000;
const rate = 100;

async function messagesIn(worker: WorkerProcess): Promise<number> {
  const { exitCode, signalCode } = worker.process;
  if (exitCode !== null || signalCode !== null)
    throw new Error(`${worker.name} exited (${exitCode ?? signalCode}): ${worker.output.slice(-3).join(" | ")}`);
  const metrics = await (await fetch(`${worker.opsUrl}/metrics`)).text();
  return metricSum(metrics, "stadtfluss_messages_in_total");
}

/** Polls `condition` until it holds or the time is up; the caller asserts on what it returns. */
async function until<T>(condition: () => Promise<T> | T, holds: (value: T) => boolean, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let value = await condition();
  while (!holds(value) && Date.now() < deadline) {
    await sleep(250);
    value = await condition();
  }
  return value;
}

/**
 * Kafka partitions and consumer groups carry the scale, not code of our own: two
 * bridges (each its own MQTT broker: Mosquitto gives a dead shared-subscription
 * member's in-flight messages to nobody, so sources are not shared), three
 * normalizers and two writers in their groups. A normalizer and a writer are
 * killed and another normalizer joins while messages flow; the audit still finds
 * every message of every device of both sources.
 */
describe("scaled out: several replicas of each worker", () => {
  it("two bridges, three normalizers and two writers share the work; a SIGKILL of a normalizer and a writer and a new normalizer mid-stream lose nothing", async () => {
    // The topics are created on first use with the mock cluster's 3 partitions: one per normalizer.
    const district = await startMosquitto();
    const pipeline = await startPipeline(servers);
    const extra: WorkerProcess[] = [];
    const start = async (service: string, env: Record<string, string>) => {
      const worker = await startWorker(service, env);
      extra.push(worker);
      return worker;
    };
    try {
      const sources = { city: servers.mqttUrl, district: district.url };
      const [secondBridge, ...replicas] = await Promise.all([
        start("mqtt-bridge", {
          ...pipeline.env.bridge,
          MQTT_SOURCES: JSON.stringify([
            {
              id: "district",
              url: district.url,
              clientId: `${pipeline.mqttPrefix}-bridge-district`,
              subscriptions: [{ topic: `${pipeline.mqttPrefix}/{tenant}/{device}/up`, format: "stadtfluss-json" }],
            },
          ]),
        }),
        start("normalizer", pipeline.env.normalizer),
        start("normalizer", pipeline.env.normalizer),
        start("influx-writer", pipeline.env.writer),
      ]);
      const [secondNormalizer, thirdNormalizer, secondWriter] = replicas as [
        WorkerProcess,
        WorkerProcess,
        WorkerProcess,
      ];
      const bridges = [pipeline.workers.bridge, secondBridge as WorkerProcess];
      const normalizers = [pipeline.workers.normalizer, secondNormalizer, thirdNormalizer];
      const writers = [pipeline.workers.writer, secondWriter];

      const acknowledged = { city: 0, district: 0 };
      const published: Promise<LoadResult>[] = Object.entries(sources).map(([source, url]) =>
        publishNumbered({
          url,
          topicPrefix: pipeline.mqttPrefix,
          tenant: pipeline.tenant,
          devices,
          count,
          rate,
          clientId: `${pipeline.mqttPrefix}-load-${source}`,
          progressMs: 250,
          onProgress: (progress) => {
            acknowledged[source as keyof typeof acknowledged] = progress.acknowledged;
          },
        }),
      );

      // Every replica took part before the fault: the group spread the partitions over all of them.
      const everyone = [...bridges, ...normalizers, ...writers];
      const consumed = await until(
        () => Promise.all(everyone.map(messagesIn)),
        (counts) => counts.every((n) => n > 0),
        45_000,
      );
      expect(consumed.map((n, i) => [everyone[i]?.name, n > 0])).toEqual(everyone.map((w) => [w.name, true]));
      // And the stream has run for a while (a quarter of each source's load) and is still running.
      const progressed = await until(
        () => ({ ...acknowledged }),
        (a) => a.city >= count / 4 && a.district >= count / 4,
        60_000,
      );
      expect(progressed.city).toBeGreaterThanOrEqual(count / 4);
      expect(progressed.district).toBeGreaterThanOrEqual(count / 4);

      secondNormalizer.process.kill("SIGKILL");
      secondWriter.process.kill("SIGKILL");
      expect((await secondNormalizer.exited).signal).toBe("SIGKILL");
      expect((await secondWriter.exited).signal).toBe("SIGKILL");
      const newcomer = await start("normalizer", pipeline.env.normalizer);
      const atRebalance = { ...acknowledged };
      expect(atRebalance.city + atRebalance.district).toBeLessThan(2 * count);

      expect((await Promise.all(published)).map((r) => r.acknowledged)).toEqual([count, count]);
      // The newcomer got a partition in the rebalance (after the killed member's session ran out).
      expect(
        await until(
          () => messagesIn(newcomer),
          (n) => n > 0,
          45_000,
        ),
      ).toBeGreaterThan(0);

      const report = await pipeline.audit(2 * count);
      expect(report.missing).toBe(0);
      // A device is its tenant, source and id: the same ids on both brokers are two devices each.
      const devicesSeen = (report.devices as ReadonlyArray<AuditReport["devices"][number] & { source: string }>).map(
        (d) => [d.source, d.device, d.messages, d.missing, d.duplicates],
      );
      expect(devicesSeen).toEqual(
        Object.keys(sources).flatMap((source) =>
          Array.from({ length: devices }, (_, i) => [source, loadDeviceName(i), count / devices, 0, []]),
        ),
      );
    } finally {
      await Promise.all(extra.map((w) => w.stop()));
      await pipeline.stop();
      await district.stop();
    }
  });
});
