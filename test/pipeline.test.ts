import { execFileSync } from "node:child_process";
import { influxQL, seriesRows } from "@stadtfluss/influx";
import { deadLetterHeaders, headerString, topicsFor } from "@stadtfluss/kafka";
import { databaseName } from "@stadtfluss/registry";
import { readMessages, startWorker } from "@stadtfluss/testing";
import { Kafka, logLevel } from "kafkajs";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { type Pipeline, startPipeline } from "./pipeline.ts";

const servers = inject("servers");
const mqttPort = new URL(servers.mqttUrl).port;

function mosquittoPub(topic: string, message: string): void {
  execFileSync("mosquitto_pub", ["-h", "127.0.0.1", "-p", mqttPort, "-q", "1", "-t", topic, "-m", message]);
}

describe("MQTT → Kafka → InfluxDB over the real servers", () => {
  let pipeline: Pipeline;

  beforeAll(async () => {
    pipeline = await startPipeline(servers);
  });

  afterAll(async () => {
    await pipeline?.stop();
  });

  it("delivers every message of the simulator and of mosquitto_pub exactly once, with values, tags and times", async () => {
    const trafficCounters = 4;
    const meters = 6;
    const simulated = 400;
    const simulator = await startWorker(
      "simulator",
      {
        MQTT_URL: servers.mqttUrl,
        SIM_TOPIC_PREFIX: pipeline.mqttPrefix,
        SIM_TENANT: pipeline.tenant,
        SIM_TRAFFIC_COUNTERS: String(trafficCounters),
        SIM_HOUSEHOLD_METERS: String(meters),
        // Only the stadtfluss-json families: the other formats have their own test.
        SIM_DSMR_METERS: "0",
        SIM_TASMOTA_METERS: "0",
        SIM_AIR_SENSORS: "0",
        SIM_PARKING_SENSORS: "0",
        SIM_ENVIRONMENT_SENSORS: "0",
        SIM_WATER_GAUGES: "0",
        SIM_WEATHER_STATIONS: "0",
        SIM_RATE: "400",
        SIM_COUNT: String(simulated),
        SIM_SEED: "7",
      },
      { waitForStart: false },
    );
    expect((await simulator.exited).code).toBe(0);

    // A third-party client, with values and times the test chose: a minute before
    // the run, one second apart, so that they pass the time policy on any date.
    const firstTime = Math.floor(Date.now() / 1000) * 1000 - 60_000;
    const manual = Array.from({ length: 25 }, (_, seq) => ({
      seq,
      time: new Date(firstTime + seq * 1000).toISOString(),
      readings: [
        { kind: "air.pm10", value: 10 + seq / 4, unit: "ug/m3" },
        { kind: "air.temperature", value: 3.5, unit: "°C" },
      ],
    }));
    for (const message of manual)
      mosquittoPub(`${pipeline.mqttPrefix}/${pipeline.tenant}/air-0001/up`, JSON.stringify(message));

    const total = simulated + manual.length;
    const delivered = await pipeline.waitForCount('SELECT count(seq) AS n FROM "traffic", "energy", "air"', total);
    expect(delivered).toBe(total);

    // Every device's sequence numbers, each exactly once and without a gap.
    const rows = await pipeline.query('SELECT seq, device FROM "traffic", "energy"');
    const byDevice = new Map<string, number[]>();
    for (const row of rows)
      byDevice.set(String(row.device), [...(byDevice.get(String(row.device)) ?? []), Number(row.seq)]);
    expect(byDevice.size).toBe(trafficCounters + meters);
    for (const [device, seqs] of byDevice) {
      const perDevice = simulated / (trafficCounters + meters);
      expect(
        seqs.sort((a, b) => a - b),
        device,
      ).toEqual(Array.from({ length: perDevice }, (_, i) => i));
    }

    const air = await pipeline.query("SELECT * FROM \"air\" WHERE device = 'air-0001' ORDER BY time");
    expect(air).toHaveLength(manual.length);
    air.forEach((row, i) => {
      const sent = manual[i];
      expect(row).toMatchObject({
        time: Date.parse(sent?.time ?? ""),
        device: "air-0001",
        tenant: pipeline.tenant,
        source: "city",
        seq: i,
        pm10: 10 + i / 4,
        temperature: 3.5,
      });
    });
  });

  it("sends a malformed message to the dead-letter topic with its reason, and the messages after it still arrive", async () => {
    const topic = `${pipeline.mqttPrefix}/${pipeline.tenant}/air-0002/up`;
    const good = (seq: number) =>
      JSON.stringify({ seq, time: Date.now() + seq, readings: [{ kind: "air.pm2_5", value: seq, unit: "ug/m3" }] });
    mosquittoPub(topic, good(0));
    mosquittoPub(topic, "{this is not json");
    mosquittoPub(
      topic,
      JSON.stringify({ seq: 2, time: Date.now(), readings: [{ kind: "air.pm2_5", value: 1, unit: "W" }] }),
    );
    mosquittoPub(topic, good(3));

    const [first, second] = await readMessages(servers.kafkaBrokers, topicsFor(pipeline.topicPrefix).deadLetter, 2);
    expect(first?.value?.toString()).toBe("{this is not json");
    expect(headerString(first?.headers, deadLetterHeaders.stage)).toBe("decode");
    expect(headerString(first?.headers, deadLetterHeaders.message)).toMatch(/payload is not JSON/);
    expect(headerString(first?.headers, deadLetterHeaders.topic)).toBe(topicsFor(pipeline.topicPrefix).raw);
    expect(Number(headerString(first?.headers, deadLetterHeaders.offset))).toBeGreaterThanOrEqual(0);
    expect(headerString(first?.headers, "stadtfluss.mqtt.topic")).toBe(topic);
    expect(headerString(second?.headers, deadLetterHeaders.stage)).toBe("convert");
    expect(headerString(second?.headers, deadLetterHeaders.message)).toMatch(/unit "W" cannot be converted/);

    expect(await pipeline.waitForCount("SELECT count(pm2_5) AS n FROM \"air\" WHERE device = 'air-0002'", 2)).toBe(2);
  });

  it("keeps a forged tenant out of every other tenant's databases: a payload's tenant is ignored, an undeclared topic's is a dead letter", async () => {
    const reading = (seq: number) => ({
      seq,
      time: Date.now(),
      readings: [{ kind: "air.pm10", value: 7, unit: "ug/m3" }],
    });
    // The tenant comes from the topic, which Mosquitto's ACL binds to the account, never from the payload.
    mosquittoPub(
      `${pipeline.mqttPrefix}/${pipeline.tenant}/air-0003/up`,
      JSON.stringify({ ...reading(0), tenant: pipeline.otherTenant }),
    );
    const intruder = `${pipeline.tenant}-intruder`;
    mosquittoPub(`${pipeline.mqttPrefix}/${intruder}/air-0004/up`, JSON.stringify(reading(0)));

    const deadLetters = await readMessages(servers.kafkaBrokers, topicsFor(pipeline.topicPrefix).deadLetter, 3);
    const refused = deadLetters.find((m) => headerString(m.headers, deadLetterHeaders.stage) === "write");
    expect(headerString(refused?.headers, deadLetterHeaders.message)).toContain(`tenant "${intruder}" is not declared`);
    // The refused observation itself, to replay once the tenant is declared.
    expect(JSON.parse(refused?.value?.toString() ?? "{}")).toMatchObject({ tenant: intruder, deviceId: "air-0004" });

    expect(await pipeline.waitForCount("SELECT count(pm10) AS n FROM \"air\" WHERE device = 'air-0003'", 1)).toBe(1);
    const [stored] = await pipeline.query("SELECT pm10, tenant FROM \"air\" WHERE device = 'air-0003'");
    expect(stored?.tenant).toBe(pipeline.tenant);
    const other = (["public", "personal", "open"] as const).map((c) => databaseName(pipeline.otherTenant, c));
    expect(await pipeline.query('SELECT count(*) FROM "air"', other)).toEqual([]);
    const [databases = []] = await influxQL(
      { url: servers.influxUrl, database: pipeline.databases[0] ?? "" },
      "SHOW DATABASES",
    );
    expect(seriesRows(databases).filter((row) => String(row.name).startsWith(intruder))).toEqual([]);
  });

  it("stops every worker on SIGTERM within 10 s, with offsets committed and writes flushed", async () => {
    const topics = topicsFor(pipeline.topicPrefix);
    const kafka = new Kafka({ clientId: "test-admin", brokers: servers.kafkaBrokers, logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    try {
      for (const name of ["bridge", "normalizer", "writer"] as const) {
        const started = Date.now();
        const { code, signal } = await pipeline.workers[name].stop(15_000);
        expect({ name, code, signal }).toEqual({ name, code: 0, signal: null });
        expect(Date.now() - started).toBeLessThan(10_000);
        expect(pipeline.workers[name].output.join("\n")).toContain('"msg":"stopped"');
      }
      for (const [topic, group] of [
        [topics.raw, pipeline.env.normalizer.KAFKA_GROUP_ID],
        [topics.observations, pipeline.env.writer.KAFKA_GROUP_ID],
      ] as const) {
        const ends = await admin.fetchTopicOffsets(topic);
        const [committed] = await admin.fetchOffsets({ groupId: group ?? "", topics: [topic] });
        for (const end of ends) {
          const partition = committed?.partitions.find((p) => p.partition === end.partition);
          // A partition that never received a record has nothing to commit.
          expect(partition?.offset === "-1" ? "0" : partition?.offset, `${topic}[${end.partition}]`).toBe(end.high);
        }
      }
    } finally {
      await admin.disconnect();
    }
  });
});
