import { topicsFor } from "@stadtfluss/kafka";
import {
  bridgeEnvironment,
  type KafkaBroker,
  numberedPayload,
  readiness,
  readMessages,
  startKafkaBroker,
  startWorker,
  uniqueName,
  type WorkerProcess,
} from "@stadtfluss/testing";
import mqtt, { type MqttClient } from "mqtt";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";

const servers = inject("servers");

/**
 * Kafka answers that the producer itself must change (an expired producer id) or
 * that it is not allowed to write: the bridge, which retries every send without a
 * limit, must neither retry in vain for ever nor look healthy meanwhile.
 */
describe("the bridge when Kafka refuses its producer", () => {
  let broker: KafkaBroker;
  let bridge: WorkerProcess;
  let publisher: MqttClient;
  const id = uniqueName("producer-faults");
  const topics = topicsFor(`${id}.`);
  let seq = 0;

  const publish = async () => {
    const n = seq++;
    await publisher.publishAsync(`${id}/musterstadt/air-0001/up`, numberedPayload(n, Date.now()), { qos: 1 });
    return n;
  };
  /** The raw records' sequence numbers, once `count` are in Kafka. */
  const stored = async (count: number) =>
    (await readMessages(broker.brokers, topics.raw, count)).map((m) => JSON.parse(m.value?.toString() ?? "{}").seq);

  beforeAll(async () => {
    broker = await startKafkaBroker({ brokers: 1, partitions: 1 });
    bridge = await startWorker(
      "mqtt-bridge",
      bridgeEnvironment({ id, kafkaBrokers: broker.brokers, mqttUrl: servers.mqttUrl }),
    );
    publisher = await mqtt.connectAsync(servers.mqttUrl, { clientId: `${id}-publisher` });
  });

  afterAll(async () => {
    await publisher?.endAsync();
    await bridge?.stop();
    await broker?.stop();
  });

  it("replaces a producer whose id Kafka no longer knows (UNKNOWN_PRODUCER_ID), and goes on", async () => {
    const first = await publish();
    expect(await stored(1)).toEqual([first]);
    await broker.command("forget-producers");
    const second = await publish();
    expect(await stored(2)).toEqual([first, second]);
    expect(JSON.parse(await bridge.waitForLine(/"msg":"Kafka no longer knows this producer/)).reason).toMatch(
      /producer/i,
    );
  });

  it("reports not ready with the reason while Kafka refuses it access, and delivers once access is granted", async () => {
    const before = seq;
    await broker.command("err 0 TOPIC_AUTHORIZATION_FAILED 1000000");
    const refused = await publish();
    await expect.poll(() => readiness(bridge), { timeout: 30_000 }).toBe(503);
    const why = await bridge.waitForLine(/"msg":"Kafka refuses access/);
    expect(JSON.parse(why).reason).toMatch(/^Not authorized to access topics/);
    expect((await fetch(`${bridge.opsUrl}/healthz`)).status).toBe(200);

    await broker.command("clear-err 0");
    await expect.poll(() => readiness(bridge), { timeout: 30_000 }).toBe(200);
    expect((await stored(before + 1)).at(-1)).toBe(refused);
  });
});
