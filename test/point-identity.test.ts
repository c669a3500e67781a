import { execFileSync } from "node:child_process";
import { deadLetterHeaders, headerString, topicsFor } from "@stadtfluss/kafka";
import { readMessages } from "@stadtfluss/testing";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { type Pipeline, startPipeline } from "./pipeline.ts";

const servers = inject("servers");
const mqttPort = new URL(servers.mqttUrl).port;

function mosquittoPub(topic: string, message: object): void {
  execFileSync("mosquitto_pub", [
    ...["-h", "127.0.0.1", "-p", mqttPort, "-q", "1", "-t", topic, "-m", JSON.stringify(message)],
  ]);
}

/** docs/delivery.md, "Point identity": over the real Mosquitto, Kafka-protocol broker and InfluxDB. */
describe("readings of one kind from two channels of a device, through the whole pipeline", () => {
  let pipeline: Pipeline;

  beforeAll(async () => {
    // Every writer here reads observation v2, so the normalizer may produce it.
    pipeline = await startPipeline(servers, { normalizer: { NORMALIZER_OBSERVATION_VERSION: "2" } });
  });

  afterAll(async () => {
    await pipeline?.stop();
  });

  it("stores two channels as two points with a channel tag, a device without channels as before, and refuses readings that would overwrite each other", async () => {
    const topic = (device: string) => `${pipeline.mqttPrefix}/${pipeline.tenant}/${device}/up`;
    // A minute before the run, so that it passes the time policy on any date.
    const time = new Date(Math.floor(Date.now() / 1000) * 1000 - 60_000).toISOString();
    const count = (value: number, channel?: string) => ({
      kind: "traffic.vehicle_count",
      value,
      unit: "{vehicle}",
      ...(channel === undefined ? {} : { channel }),
    });
    mosquittoPub(topic("traffic-0101"), { seq: 0, time, readings: [count(12, "lane-1"), count(7, "lane-2")] });
    mosquittoPub(topic("traffic-0102"), { seq: 0, time, readings: [count(5)] });
    mosquittoPub(topic("traffic-0103"), { seq: 0, time, readings: [count(3), count(4)] });

    expect(await pipeline.waitForCount('SELECT count("vehicle_count") AS n FROM "traffic"', 3)).toBe(3);
    const lanes = await pipeline.query(
      'SELECT "vehicle_count" FROM "traffic" WHERE "device" = \'traffic-0101\' GROUP BY "channel"',
    );
    expect(lanes.map((row) => [row.channel, row.vehicle_count, row.time])).toEqual([
      ["lane-1", 12, Date.parse(time)],
      ["lane-2", 7, Date.parse(time)],
    ]);
    const [single, ...others] = await pipeline.query('SELECT * FROM "traffic" WHERE "device" = \'traffic-0102\'');
    expect(others).toEqual([]);
    expect(single).toMatchObject({ vehicle_count: 5, seq: 0, channel: null });

    const topics = topicsFor(pipeline.topicPrefix);
    const observations = await readMessages(servers.kafkaBrokers, topics.observations, 3);
    expect(
      observations
        .map((m) => [m.key?.toString(), headerString(m.headers, "content-type"), JSON.parse(String(m.value)).channel])
        .sort(),
    ).toEqual([
      ["traffic-0101", "stadtfluss.observation.v2", "lane-1"],
      ["traffic-0101", "stadtfluss.observation.v2", "lane-2"],
      ["traffic-0102", "stadtfluss.observation.v1", undefined],
    ]);
    const [refused] = await readMessages(servers.kafkaBrokers, topics.deadLetter, 1);
    expect(refused?.key?.toString()).toBe("traffic-0103");
    expect(headerString(refused?.headers, deadLetterHeaders.stage)).toBe("identity");
    expect(headerString(refused?.headers, deadLetterHeaders.message)).toMatch(
      /^readings 1 and 2 are both traffic.vehicle_count of device traffic-0103 at /,
    );

    // The writer took both versions: nothing of it went to the dead-letter topic.
    const metrics = await (await fetch(`${pipeline.workers.writer.opsUrl}/metrics`)).text();
    expect(metrics).not.toMatch(/stadtfluss_dead_letters_total\{[^}]*\} [1-9]/);
  });
});
