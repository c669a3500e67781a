import { createDatabase, influxQL } from "@stadtfluss/influx";
import { deadLetterHeaders, headerString, Kafka, logLevel, type Message, topicsFor } from "@stadtfluss/kafka";
import {
  OBSERVATION_SCHEMA_ID,
  OBSERVATION_V3_SCHEMA_ID,
  OBSERVATION_V4_SCHEMA_ID,
  type Observation,
  serializeObservation,
  serializeObservationList,
  serializeObservationsV4,
} from "@stadtfluss/schemas";
import { metricSum, readMessages, startWorker, uniqueName } from "@stadtfluss/testing";
import { describe, expect, inject, it } from "vitest";

const servers = inject("servers");

/** A fresh prefix and database where another writer stored pm10 as an integer first: InfluxDB keeps a field's type per shard. */
async function withIntegerPm10(name: string) {
  const prefix = `${uniqueName(name)}.`;
  const db = prefix.replaceAll(/[.-]/g, "_");
  await createDatabase({ url: servers.influxUrl, database: db });
  const first = await fetch(`${servers.influxUrl}/write?db=${db}`, {
    method: "POST",
    body: `air,tenant=musterstadt,device=air-0009,source=city pm10=7i ${Date.now()}000000`,
  });
  expect(first.status).toBe(204);
  return { prefix, topics: topicsFor(prefix), db };
}

/** The records in one request with one key, so that they reach the writer as one batch of one partition; then the writer. */
async function sendThenStartWriter(prefix: string, db: string, messages: Message[]) {
  const producer = new Kafka({ brokers: servers.kafkaBrokers, logLevel: logLevel.NOTHING }).producer();
  await producer.connect();
  try {
    await producer.send({ topic: topicsFor(prefix).observations, acks: -1, messages });
  } finally {
    await producer.disconnect();
  }
  return startWorker("influx-writer", {
    KAFKA_BROKERS: servers.kafkaBrokers.join(","),
    KAFKA_TOPIC_PREFIX: prefix,
    KAFKA_GROUP_ID: `${prefix}writer`,
    INFLUX_URL: servers.influxUrl,
    INFLUX_BUCKET: db,
  });
}

describe("the influx-writer when InfluxDB refuses one point of a batch", () => {
  it("dead-letters that point alone (stage write, its own offset) and writes the rest of the batch", async () => {
    const { prefix, topics, db } = await withIntegerPm10("writer-refused");

    // One request, one key: the five records reach the writer as one batch of one partition.
    const kinds: Observation["kind"][] = ["air.pm2_5", "air.pm2_5", "air.pm10", "air.pm2_5", "air.pm2_5"];
    const at = new Date().toISOString();
    const writer = await sendThenStartWriter(
      prefix,
      db,
      kinds.map((kind, i) => ({
        key: "air",
        value: serializeObservation({
          tenant: "musterstadt",
          deviceId: `air-000${i + 1}`,
          kind,
          value: i + 1.5,
          unit: "ug/m3",
          observedAt: at,
          receivedAt: at,
          source: "city",
          privacy: "personal",
        }),
        headers: { "content-type": OBSERVATION_SCHEMA_ID },
      })),
    );
    const stored = async () => {
      const [series = []] = await influxQL(
        { url: servers.influxUrl, database: db },
        'SELECT count("pm2_5") FROM "air"',
      );
      return Number(series[0]?.values[0]?.[1] ?? 0);
    };
    try {
      const [letter] = await readMessages(servers.kafkaBrokers, topics.deadLetter, 1, 60_000);
      expect(headerString(letter?.headers, deadLetterHeaders.stage)).toBe("write");
      // A new topic: the third record has offset 2.
      expect(headerString(letter?.headers, deadLetterHeaders.offset)).toBe("2");
      expect(headerString(letter?.headers, deadLetterHeaders.message)).toMatch(/field type conflict/);
      expect(JSON.parse(letter?.value?.toString() ?? "{}")).toMatchObject({ deviceId: "air-0003", kind: "air.pm10" });

      await expect.poll(stored, { timeout: 30_000 }).toBe(4);
      const metrics = await (await fetch(`${writer.opsUrl}/metrics`)).text();
      expect(metricSum(metrics, "stadtfluss_dead_letters_total")).toBe(1);
      expect(metricSum(metrics, "stadtfluss_messages_out_total")).toBe(4);
    } finally {
      await writer.stop();
    }
  });

  it.each([
    { version: 3, contentType: OBSERVATION_V3_SCHEMA_ID, serialize: serializeObservationList },
    { version: 4, contentType: OBSERVATION_V4_SCHEMA_ID, serialize: serializeObservationsV4 },
  ])(
    "under observation v$version dead-letters a record once, whole, when InfluxDB refuses any of its points",
    async ({ version, contentType, serialize }) => {
      const { prefix, topics, db } = await withIntegerPm10(`writer-v${version}`);

      const at = new Date().toISOString();
      const of = (deviceId: string, kind: Observation["kind"], extra: Partial<Observation> = {}): Observation => ({
        tenant: "musterstadt",
        deviceId,
        kind,
        value: 1.5,
        unit: "ug/m3",
        observedAt: at,
        receivedAt: at,
        source: "city",
        privacy: "personal",
        ...extra,
      });
      const records = [
        // Both pm10 points conflict with the integer field: one dead letter for the record, its pm2_5 written.
        [
          of("air-0001", "air.pm2_5"),
          of("air-0001", "air.pm10", { channel: "a" }),
          of("air-0001", "air.pm10", { channel: "b" }),
        ],
        [of("air-0002", "air.pm2_5"), of("air-0002", "air.pm1")],
        // One forged item: the whole record is refused before anything of it is written.
        [of("air-0003", "air.pm2_5"), { ...of("air-0003", "air.pm1"), observedAt: "yesterday" }],
      ];
      const writer = await sendThenStartWriter(
        prefix,
        db,
        records.map((list) => ({
          key: "air",
          value: serialize(list),
          headers: { "content-type": contentType },
        })),
      );
      const count = async (field: string) => {
        const [series = []] = await influxQL(
          { url: servers.influxUrl, database: db },
          `SELECT count("${field}") FROM "air" WHERE device =~ /^air-000[1-3]$/`,
        );
        return Number(series[0]?.values[0]?.[1] ?? 0);
      };
      try {
        const letters = await readMessages(servers.kafkaBrokers, topics.deadLetter, 2, 60_000);
        const byOffset = Object.fromEntries(
          letters.map((letter) => [
            headerString(letter.headers, deadLetterHeaders.offset),
            [
              headerString(letter.headers, deadLetterHeaders.stage),
              headerString(letter.headers, deadLetterHeaders.message),
            ],
          ]),
        );
        expect(byOffset["0"]).toEqual(["write", expect.stringMatching(/field type conflict/)]);
        expect(byOffset["2"]).toEqual(["parse", expect.stringMatching(/observedAt/)]);
        // The dead letter is the record as it was, to be replayed whole.
        expect(letters.find((l) => headerString(l.headers, deadLetterHeaders.offset) === "0")?.value?.toString()).toBe(
          serialize(records[0] ?? []),
        );

        await expect.poll(() => count("pm2_5"), { timeout: 30_000 }).toBe(2);
        expect(await count("pm1")).toBe(1);
        const metrics = await (await fetch(`${writer.opsUrl}/metrics`)).text();
        expect(metricSum(metrics, "stadtfluss_dead_letters_total")).toBe(2);
        // Points: the second record's pm2_5 and pm1 are one point, written as one line.
        expect(metricSum(metrics, "stadtfluss_messages_out_total")).toBe(2);
      } finally {
        await writer.stop();
      }
    },
  );
});
