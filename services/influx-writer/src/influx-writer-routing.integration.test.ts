import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createDatabase, influxQL } from "@stadtfluss/influx";
import { deadLetterHeaders, headerString, Kafka, logLevel, topicsFor } from "@stadtfluss/kafka";
import { databaseName } from "@stadtfluss/registry";
import { OBSERVATION_SCHEMA_ID, type Observation, serializeObservation } from "@stadtfluss/schemas";
import {
  readiness,
  readMessages,
  startWorker,
  uniqueName,
  type WorkerProcess,
  workerMetric,
} from "@stadtfluss/testing";
import { afterEach, describe, expect, inject, it } from "vitest";

const servers = inject("servers");
const influx = { url: servers.influxUrl };

/** A registry folder declaring these tenants, and nothing else. */
function declare(folder: string, tenants: readonly string[]): void {
  const entries = tenants.map((id) => `  - { id: ${id}, name: ${id}, kind: municipality }`).join("\n");
  writeFileSync(join(folder, "platform.yaml"), `tenants:\n${entries}\n`);
}

function observation(tenant: string, privacy: Observation["privacy"], deviceId: string, at: string): Observation {
  return {
    tenant,
    deviceId,
    kind: "air.pm10",
    value: 7,
    unit: "ug/m3",
    observedAt: at,
    receivedAt: at,
    source: "city",
    privacy,
  };
}

/** In one produce request and one partition (one key), so that the writer reads them as one batch. */
async function produce(topic: string, observations: readonly Observation[]): Promise<void> {
  const producer = new Kafka({ brokers: servers.kafkaBrokers, logLevel: logLevel.NOTHING }).producer();
  await producer.connect();
  try {
    await producer.send({
      topic,
      acks: -1,
      messages: observations.map((o) => ({
        key: "one-partition",
        value: serializeObservation(o),
        headers: { "content-type": OBSERVATION_SCHEMA_ID },
      })),
    });
  } finally {
    await producer.disconnect();
  }
}

/** Each stored point as `tenant/privacy/device`, sorted. */
async function stored(database: string): Promise<string[]> {
  const [series = []] = await influxQL(
    { ...influx, database },
    'SELECT "pm10", "tenant", "privacy", "device" FROM "air"',
  );
  return (series[0]?.values ?? []).map((row) => `${row[2]}/${row[3]}/${row[4]}`).sort();
}

async function databases(): Promise<string[]> {
  const [series = []] = await influxQL({ ...influx, database: "_internal" }, "SHOW DATABASES");
  return (series[0]?.values ?? []).map((row) => String(row[0]));
}

/** The offsets the group committed, summed over the topic's partitions (-1: none yet). */
async function committed(groupId: string, topic: string): Promise<number> {
  const admin = new Kafka({ brokers: servers.kafkaBrokers, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
    return (offsets?.partitions ?? []).reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0);
  } finally {
    await admin.disconnect();
  }
}

describe("the influx-writer with a declaration: a database per tenant and privacy class", () => {
  let writer: WorkerProcess | undefined;

  afterEach(async () => {
    await writer?.stop();
    writer = undefined;
  });

  function start(prefix: string, folder: string): Promise<WorkerProcess> {
    return startWorker("influx-writer", {
      KAFKA_BROKERS: servers.kafkaBrokers.join(","),
      KAFKA_TOPIC_PREFIX: prefix,
      KAFKA_GROUP_ID: `${prefix}writer`,
      INFLUX_URL: servers.influxUrl,
      WRITER_DECLARATION: folder,
      WRITER_DECLARATION_RELOAD_MS: "200",
    });
  }

  it("puts two tenants' two classes into four databases, and an undeclared tenant nowhere but the dead letters", {
    timeout: 120_000,
  }, async () => {
    const prefix = `${uniqueName("routing")}.`;
    const topics = topicsFor(prefix);
    const [a, b, forged] = [uniqueName("a"), uniqueName("b"), uniqueName("forged")];
    const folder = mkdtempSync(join(tmpdir(), "sf-writer-declaration-"));
    declare(folder, [a, b]);
    const routed = [a, b].flatMap((tenant) => (["public", "personal"] as const).map((c) => ({ tenant, c })));
    for (const { tenant, c } of routed) await createDatabase({ ...influx, database: databaseName(tenant, c) });

    const at = new Date().toISOString();
    const expected = routed.map(({ tenant, c }) =>
      [1, 2, 3].map((n) => observation(tenant, c, `${tenant}-${c}-${n}`, at)),
    );
    const undeclared = [observation(forged, "public", "forged-1", at), observation(forged, "personal", "forged-2", at)];
    await produce(topics.observations, [...expected.flat(), ...undeclared]);
    writer = await start(prefix, folder);

    for (const [i, { tenant, c }] of routed.entries()) {
      const want = (expected[i] ?? []).map((o) => `${tenant}/${c}/${o.deviceId}`).sort();
      await expect.poll(() => stored(databaseName(tenant, c)), { timeout: 60_000 }).toEqual(want);
    }
    const deadLetters = await readMessages(servers.kafkaBrokers, topics.deadLetter, undeclared.length, 60_000);
    expect(deadLetters.map((d) => headerString(d.headers, deadLetterHeaders.stage))).toEqual(["write", "write"]);
    expect(deadLetters.map((d) => headerString(d.headers, deadLetterHeaders.message))).toEqual([
      `tenant "${forged}" is not declared (WRITER_DECLARATION)`,
      `tenant "${forged}" is not declared (WRITER_DECLARATION)`,
    ]);
    expect((await databases()).filter((name) => name.startsWith(forged))).toEqual([]);
    // The whole batch is committed: nothing of it is waiting to be written somewhere later.
    await expect.poll(() => committed(`${prefix}writer`, topics.observations), { timeout: 30_000 }).toBe(14);
    for (const { tenant, c } of routed) {
      expect((await stored(databaseName(tenant, c))).filter((point) => point.startsWith(forged))).toEqual([]);
    }

    // Declared later, without a restart: the tenant's next observations go to its own databases.
    await createDatabase({ ...influx, database: databaseName(forged, "public") });
    declare(folder, [a, b, forged]);
    await writer.waitForLine(/"msg":"device registry reloaded"/, 30_000);
    await produce(topics.observations, [observation(forged, "public", "forged-3", at)]);
    await expect
      .poll(() => stored(databaseName(forged, "public")), { timeout: 60_000 })
      .toEqual([`${forged}/public/forged-3`]);
    expect(await workerMetric(writer, "stadtfluss_dead_letters_total")).toBe(2);
  });

  it("holds the whole batch while one of its databases is missing, then writes every point once it exists", {
    timeout: 120_000,
  }, async () => {
    const prefix = `${uniqueName("routing-missing")}.`;
    const topics = topicsFor(prefix);
    const tenant = uniqueName("t");
    const folder = mkdtempSync(join(tmpdir(), "sf-writer-declaration-"));
    declare(folder, [tenant]);
    const [publicDb, personalDb] = [databaseName(tenant, "public"), databaseName(tenant, "personal")];
    await createDatabase({ ...influx, database: publicDb });

    const at = new Date().toISOString();
    const batch = [1, 2, 3].flatMap((n) => [
      observation(tenant, "public", `pub-${n}`, at),
      observation(tenant, "personal", `per-${n}`, at),
    ]);
    await produce(topics.observations, batch);
    writer = await start(prefix, folder);

    const line = await writer.waitForLine(/"msg":"InfluxDB database missing, retrying"/, 60_000);
    expect(line).toContain(`"database":"${personalDb}"`);
    expect(line).toContain("database not found");
    await expect.poll(() => readiness(writer as WorkerProcess), { timeout: 30_000 }).toBe(503);
    // The public points may be stored already; the batch is not committed before the personal ones are.
    expect(await committed(`${prefix}writer`, topics.observations)).toBe(0);

    await createDatabase({ ...influx, database: personalDb });
    await expect
      .poll(() => stored(personalDb), { timeout: 60_000 })
      .toEqual([1, 2, 3].map((n) => `${tenant}/personal/per-${n}`));
    await expect.poll(() => committed(`${prefix}writer`, topics.observations), { timeout: 30_000 }).toBe(6);
    await expect.poll(() => readiness(writer as WorkerProcess), { timeout: 30_000 }).toBe(200);
    // Written again on every retry, stored once: same series, same time.
    expect(await stored(publicDb)).toEqual([1, 2, 3].map((n) => `${tenant}/public/pub-${n}`));
    expect(await workerMetric(writer, "stadtfluss_dead_letters_total")).toBe(0);
  });

  it("stops start-up with exit code 78 on a broken declaration, naming the file and line", async () => {
    const folder = mkdtempSync(join(tmpdir(), "sf-writer-declaration-"));
    writeFileSync(join(folder, "platform.yaml"), "tenants:\n  - { id: Musterstadt, name: M, kind: municipality }\n");
    const broken = await startWorker(
      "influx-writer",
      {
        KAFKA_BROKERS: servers.kafkaBrokers.join(","),
        INFLUX_URL: servers.influxUrl,
        WRITER_DECLARATION: folder,
      },
      { waitForStart: false },
    );
    expect((await broken.exited).code).toBe(78);
    expect(await broken.waitForLine(/platform\.yaml:2: tenants\[0\]\.id/)).toContain("lowercase");
  });
});
