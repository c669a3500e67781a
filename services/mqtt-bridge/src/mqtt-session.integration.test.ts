import { setTimeout as sleep } from "node:timers/promises";
import { Kafka, logLevel, topicsFor } from "@stadtfluss/kafka";
import {
  bridgeEnvironment,
  numberedPayload,
  readiness,
  readMessages,
  startMosquitto,
  startWorker,
  uniqueName,
  type WorkerProcess,
  workerMetric,
} from "@stadtfluss/testing";
import mqtt from "mqtt";
import { describe, expect, inject, it } from "vitest";

const servers = inject("servers");

/** Every record in a topic, counted by its partitions' offsets, so that none still on its way is missed. */
async function everyRecord(topic: string) {
  const admin = new Kafka({ brokers: servers.kafkaBrokers, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    const total = offsets.reduce((sum, p) => sum + Number(p.high), 0);
    return readMessages(servers.kafkaBrokers, topic, total);
  } finally {
    await admin.disconnect();
  }
}

function bridgeEnv(id: string, source: Record<string, unknown>, topicNames: readonly string[]) {
  return bridgeEnvironment({
    id,
    kafkaBrokers: servers.kafkaBrokers,
    mqttUrl: servers.mqttUrl,
    subscriptions: topicNames.map((name) => ({
      topic: `${id}/${name}/{tenant}/{device}/up`,
      format: "stadtfluss-json",
    })),
    source,
  });
}

describe("the bridge's MQTT session", () => {
  it.each([4, 5] as const)(
    "MQTT %s: a topic added to the configuration is subscribed after a restart, a removed one unsubscribed, and a retained message is not sent again",
    async (protocolVersion) => {
      const id = uniqueName("subs");
      const at = (name: string, device: string) => `${id}/${name}/musterstadt/${device}/up`;
      const publisher = await mqtt.connectAsync(servers.mqttUrl, { clientId: `${id}-publisher` });
      let bridge = await startWorker("mqtt-bridge", bridgeEnv(id, { protocolVersion }, ["kept", "removed"]));
      try {
        await publisher.publishAsync(at("kept", "retained-0001"), numberedPayload(0, Date.now()), {
          qos: 1,
          retain: true,
        });
        await expect.poll(() => workerMetric(bridge, "stadtfluss_messages_out_total"), { timeout: 30_000 }).toBe(1);
        expect((await bridge.stop()).code).toBe(0);

        // The same client id, so the same session; one topic removed, one added.
        bridge = await startWorker("mqtt-bridge", bridgeEnv(id, { protocolVersion }, ["kept", "added"]));
        expect(await readiness(bridge)).toBe(200);
        for (const [name, device] of [
          ["removed", "removed-0001"],
          ["added", "added-0001"],
          ["kept", "last-0001"],
        ] as const) {
          await publisher.publishAsync(at(name, device), numberedPayload(1, Date.now()), { qos: 1 });
        }
        await expect
          .poll(() => workerMetric(bridge, "stadtfluss_messages_out_total"), { timeout: 30_000 })
          .toBeGreaterThanOrEqual(2);

        const keys = (await everyRecord(topicsFor(`${id}.`).raw)).map((r) => r.key?.toString()).toSorted();
        expect(keys).toEqual(["added-0001", "last-0001", "retained-0001"]);
        expect(bridge.output.join("\n")).toMatch(/"unsubscribed":\["[^"]*\/removed\/[^\n]*"msg":"mqtt subscribed"/);
      } finally {
        await publisher.publishAsync(at("kept", "retained-0001"), "", { qos: 1, retain: true });
        await publisher.endAsync();
        await bridge.stop();
      }
    },
  );

  it("warns and counts when the broker grants a subscription below QoS 1", async () => {
    const broker = await startMosquitto({ extra: ["max_qos 0"] });
    const id = uniqueName("qos0");
    const bridge = await startWorker("mqtt-bridge", bridgeEnv(id, { url: broker.url, protocolVersion: 4 }, ["up"]));
    try {
      const output = bridge.output.join("\n");
      expect(output).toMatch(/"msg":"mqtt subscription downgraded"/);
      expect(output).toMatch(/"requested":1,"granted":0/);
      expect(await workerMetric(bridge, "stadtfluss_mqtt_subscription_downgrades_total")).toBe(1);
    } finally {
      await bridge.stop();
      await broker.stop();
    }
  });

  it.each([4, 5] as const)(
    "MQTT %s: a second bridge with the same client id takes the session; the first says so, reports not ready and does not take it back",
    async (protocolVersion) => {
      const id = uniqueName("takeover");
      const env = bridgeEnv(id, { protocolVersion }, ["up"]);
      const first = await startWorker("mqtt-bridge", env);
      const second = await startWorker("mqtt-bridge", env);
      const connects = (bridge: WorkerProcess) =>
        bridge.output.filter((line) => line.includes('"msg":"mqtt connected"')).length;
      try {
        await first.waitForLine(/"msg":"mqtt session taken over/, 30_000);
        expect(first.output.join("\n")).toContain(`"clientId":"${id}-bridge"`);
        expect(await workerMetric(first, "stadtfluss_mqtt_sessions_taken_over_total")).toBe(1);
        expect(await readiness(first)).toBe(503);
        await expect.poll(() => readiness(second), { timeout: 30_000 }).toBe(200);

        // The bridges reconnect 1 s after losing a connection; five times that and
        // neither has taken the session from the other again.
        const secondConnects = connects(second);
        const firstConnects = connects(first);
        await sleep(5_000);
        expect(connects(second)).toBe(secondConnects);
        expect(connects(first)).toBe(firstConnects);
        expect(first.process.exitCode).toBeNull();

        // The second one carries the traffic.
        const publisher = await mqtt.connectAsync(servers.mqttUrl, { clientId: `${id}-publisher` });
        await publisher.publishAsync(`${id}/up/musterstadt/dev-0001/up`, numberedPayload(0, Date.now()), { qos: 1 });
        await publisher.endAsync();
        await expect.poll(() => workerMetric(second, "stadtfluss_messages_out_total"), { timeout: 30_000 }).toBe(1);
      } finally {
        await Promise.all([first.stop(), second.stop()]);
      }
    },
  );
});
