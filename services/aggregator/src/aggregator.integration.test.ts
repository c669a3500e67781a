import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createDatabase, influxQL, ObservationWriter, observationToPoint, seriesRows } from "@stadtfluss/influx";
import { databaseName } from "@stadtfluss/registry";
import type { Kind } from "@stadtfluss/schemas";
import { readMessages, startWorker, uniqueName, type WorkerProcess, workerMetric } from "@stadtfluss/testing";
import { afterEach, describe, expect, inject, it } from "vitest";
import { calendarResolution, fixedResolution, type Resolution } from "./resolution.ts";

const servers = inject("servers");
const influx = { url: servers.influxUrl };
const NEVER = "0 0 1 1 *";

interface Reading {
  readonly device: string;
  readonly district: string;
  readonly kind: Kind;
  readonly at: number;
  readonly value: number;
}

/** A small linear congruential generator: random data, the same for a seed. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    return state / 2 ** 32;
  };
}

const DEVICES = [
  { device: "count-1", district: "nord" },
  { device: "count-2", district: "nord" },
  { device: "count-3", district: "sued" },
];
const SPACES = [
  { device: "space-1", district: "nord" },
  { device: "space-2", district: "nord" },
  { device: "space-3", district: "sued" },
];

/** Traffic counts and speeds, PM10 and parking spaces every `stepMs` (whole numbers, so sums are exact). */
function readings(seed: number, from: number, to: number, stepMs: number): Reading[] {
  const next = random(seed);
  const out: Reading[] = [];
  for (let t = from; t < to; t += stepMs) {
    const at = t + Math.floor(next() * (stepMs / 2));
    for (const { device, district } of DEVICES) {
      out.push({ device, district, kind: "traffic.vehicle_count", at, value: Math.floor(next() * 40) });
      out.push({ device, district, kind: "traffic.average_speed", at, value: 20 + Math.floor(next() * 40) });
      out.push({ device, district, kind: "air.pm10", at, value: Math.floor(next() * 80) });
    }
    for (const { device, district } of SPACES) {
      out.push({ device, district, kind: "parking.occupied", at, value: next() < 0.6 ? 1 : 0 });
    }
  }
  return out;
}

async function writeRaw(tenant: string, raw: readonly Reading[]): Promise<void> {
  const writer = new ObservationWriter({ url: servers.influxUrl, org: "", gzip: false });
  const database = databaseName(tenant, "public");
  const points = raw.map((r) => ({
    database,
    point: observationToPoint({
      tenant,
      deviceId: r.device,
      district: r.district,
      kind: r.kind,
      value: r.value,
      unit: "1",
      observedAt: new Date(r.at).toISOString(),
      receivedAt: new Date(r.at).toISOString(),
      source: "test",
      privacy: "public",
    }),
  }));
  for (let i = 0; i < points.length; i += 5_000) {
    const outcome = await writer.writeRouted(points.slice(i, i + 5_000));
    expect(outcome.rejected).toEqual([]);
  }
}

/** InfluxDB 1.x's PERCENTILE: the nearest rank, floor(n·p/100 + 0.5) − 1 of the sorted values. */
function nearestRank(values: readonly number[], percentile: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length * percentile) / 100 + 0.5) - 1] as number;
}

const sum = (values: readonly number[]) => values.reduce((a, b) => a + b, 0);

/**
 * A value to 12 significant digits. InfluxDB 1.x combines the partial means of a
 * window's series and shards, weighted by their counts, so a mean of whole numbers
 * may differ from sum/count in its last bit (59.5505617977528 for 53/89·100).
 */
const comparable = (value: number) => Number(value.toPrecision(12));

/** The roll-ups computed here from the raw readings, keyed like `stored`. */
function expected(raw: readonly Reading[], resolution: Resolution, from: number, to: number): Record<string, unknown> {
  const groups = new Map<string, number[]>();
  const add = (key: string, value: number) => groups.set(key, [...(groups.get(key) ?? []), value]);
  for (const r of raw) {
    if (r.at < from || r.at >= to) continue;
    const window = resolution.windowStart(r.at);
    add(`${r.kind}|device|${r.device}|${r.district}|${window}`, r.value);
    add(`${r.kind}|district||${r.district}|${window}`, r.value);
  }
  const rows: Record<string, Record<string, number>> = {};
  const field = (key: string, name: string, value: number) => {
    rows[key] = { ...rows[key], [name]: comparable(value) };
  };
  for (const [key, values] of groups) {
    const [kind, scope, device, district, window] = key.split("|") as [Kind, string, string, string, string];
    const measurement = kind.slice(0, kind.indexOf("."));
    const row = `${measurement}|${scope}|${device}|${district}|${window}`;
    if (kind === "traffic.vehicle_count") field(row, "vehicle_count_sum", sum(values));
    if (kind === "parking.occupied" && scope === "district") {
      field(row, "occupied_percent", (sum(values) / values.length) * 100);
    }
    if ((kind === "traffic.average_speed" || kind === "air.pm10") && scope === "device") {
      const quantity = kind.slice(kind.indexOf(".") + 1);
      field(row, `${quantity}_mean`, sum(values) / values.length);
      field(row, `${quantity}_min`, Math.min(...values));
      field(row, `${quantity}_max`, Math.max(...values));
      field(row, `${quantity}_p95`, nearestRank(values, 95));
    }
  }
  return rows;
}

/** The aggregates in the tenant's open database for one resolution and time range. */
async function stored(tenant: string, resolution: Resolution, from: number, to: number) {
  const [series = []] = await influxQL(
    { ...influx, database: databaseName(tenant, "open") },
    `SELECT * FROM "traffic", "air", "parking" WHERE "resolution" = '${resolution.tag}' AND time >= ${from}ms AND time < ${to}ms`,
  );
  const rows: Record<string, Record<string, number>> = {};
  for (const s of series) {
    for (const row of seriesRows([s])) {
      const key = `${s.name}|${row.scope}|${row.device ?? ""}|${row.district}|${row.time}`;
      for (const [name, value] of Object.entries(row)) {
        if (typeof value === "number" && name !== "time") rows[key] = { ...rows[key], [name]: comparable(value) };
      }
    }
  }
  return rows;
}

/** Every finished run of a worker: resolution, range and when it ran. */
function runsOf(worker: WorkerProcess, resolution: string, data: "public" | "personal" = "public") {
  return worker.output
    .filter((line) => line.includes('"msg":"aggregation run finished"') && line.includes(`"data":"${data}"`))
    .map(
      (line) =>
        JSON.parse(line) as {
          tenant: string;
          resolution: string;
          from: string;
          to: string;
          windows: number;
          startedAt: number;
          finishedAt: number;
        },
    )
    .filter((run) => run.resolution === resolution)
    .map((run) => ({ ...run, from: Date.parse(run.from), to: Date.parse(run.to) }));
}

/** Every run either process logged, started or not finished, as [start, end] intervals. */
function intervalsOf(worker: WorkerProcess) {
  return worker.output
    .filter((line) => /"msg":"aggregation run (finished|failed|interrupted)"/.test(line))
    .map((line) => JSON.parse(line) as { startedAt: number; finishedAt: number })
    .map((run) => ({ worker: worker.name, start: run.startedAt, end: run.finishedAt }));
}

async function tenantWithDatabases(): Promise<{ tenant: string; folder: string }> {
  const tenant = uniqueName("agg")
    .toLowerCase()
    .replaceAll(/[^a-z0-9-]/g, "");
  for (const dataClass of ["public", "personal", "open"] as const) {
    await createDatabase({ ...influx, database: databaseName(tenant, dataClass) });
  }
  const folder = mkdtempSync(join(tmpdir(), "sf-aggregator-declaration-"));
  writeFileSync(
    join(folder, "platform.yaml"),
    `tenants:\n  - { id: ${tenant}, name: ${tenant}, kind: municipality }\n`,
  );
  return { tenant, folder };
}

describe("the aggregator over the real InfluxDB", () => {
  const workers: WorkerProcess[] = [];

  afterEach(async () => {
    await Promise.all(workers.splice(0).map((worker) => worker.stop()));
  });

  async function start(name: string, group: string, folder: string, env: Record<string, string>) {
    const worker = await startWorker("aggregator", {
      KAFKA_BROKERS: servers.kafkaBrokers.join(","),
      KAFKA_TOPIC_PREFIX: `${group}.`,
      KAFKA_GROUP_ID: group,
      KAFKA_CLIENT_ID: name,
      KAFKA_SESSION_TIMEOUT_MS: "6000",
      INFLUX_URL: servers.influxUrl,
      INFLUX_TIMEOUT_MS: "2000",
      AGGREGATOR_HANDOVER_MS: "2500",
      AGGREGATOR_DECLARATION: folder,
      AGGREGATOR_HOURLY_SCHEDULE: NEVER,
      AGGREGATOR_DAILY_SCHEDULE: NEVER,
      ...env,
    });
    workers.push(worker);
    return worker;
  }

  it("rolls up hours and the city's days as a direct computation over the raw data does, and a re-run rewrites the same points", async () => {
    const { tenant, folder } = await tenantWithDatabases();
    const now = Date.now();
    const raw = readings(19, now - 50 * 3_600_000, now + 3_600_000, 10 * 60_000);
    await writeRaw(tenant, raw);
    const group = uniqueName("agg-rollup");
    const hour = calendarResolution("hour", "Europe/Berlin");
    const day = calendarResolution("day", "Europe/Berlin");
    const env = { AGGREGATOR_CATCH_UP: "2d", AGGREGATOR_LATENESS: "0s" };

    const first = await start("first", group, folder, env);
    await expect.poll(() => runsOf(first, "1d").length, { timeout: 60_000 }).toBeGreaterThan(0);
    const [hourly] = runsOf(first, "1h");
    const [daily] = runsOf(first, "1d");
    if (!hourly || !daily) throw new Error("no run logged");
    expect(hourly.from).toBe(hour.windowStart(hourly.to - 2 * 86_400_000));
    expect(hourly.windows).toBeGreaterThanOrEqual(47);
    expect(daily.windows).toBe(2);

    const want = expected(raw, hour, hourly.from, hourly.to);
    const hours = await stored(tenant, hour, hourly.from, hourly.to);
    expect(Object.keys(hours).length).toBeGreaterThan(47 * 8);
    expect(hours).toEqual(want);
    expect(await stored(tenant, day, daily.from, daily.to)).toEqual(expected(raw, day, daily.from, daily.to));
    // Nothing of the current window, which is not complete yet.
    expect(await stored(tenant, hour, hourly.to, now + 2 * 3_600_000)).toEqual({});
    await first.stop();

    // Everything again (a lateness as long as the catch-up): the same points, none added,
    // up to where the first run ended; an hour that ended since is rolled up too.
    const before = await stored(tenant, hour, 0, hourly.to);
    const second = await start("second", group, folder, { ...env, AGGREGATOR_LATENESS: "2d" });
    await expect.poll(() => runsOf(second, "1d").length, { timeout: 60_000 }).toBeGreaterThan(0);
    const [again] = runsOf(second, "1h");
    expect(again?.windows).toBeGreaterThanOrEqual(hourly.windows);
    expect(await stored(tenant, hour, 0, hourly.to)).toEqual(before);
    expect(await workerMetric(second, "stadtfluss_aggregator_points_total")).toBeGreaterThan(0);
  });

  it("catches up the windows missed while no aggregator ran, from where the last run ended", async () => {
    const { tenant, folder } = await tenantWithDatabases();
    const now = Date.now();
    const raw = readings(7, now - 60_000, now + 120_000, 500);
    await writeRaw(tenant, raw);
    const group = uniqueName("agg-catch-up");
    const short = fixedResolution(2_000);
    const env = {
      AGGREGATOR_SHORT_WINDOW: "2s",
      AGGREGATOR_SHORT_SCHEDULE: "* * * * * *",
      AGGREGATOR_CATCH_UP: "20s",
      AGGREGATOR_LATENESS: "0s",
    };

    const before = await start("before", group, folder, env);
    await expect.poll(() => runsOf(before, "2s").length, { timeout: 60_000 }).toBeGreaterThan(2);
    await before.stop();
    const stoppedAt = runsOf(before, "2s").at(-1)?.to ?? 0;
    // The downtime: at least three windows close while nothing runs.
    await expect.poll(() => Date.now(), { timeout: 30_000 }).toBeGreaterThan(stoppedAt + 4 * 2_000);

    const after = await start("after", group, folder, env);
    await expect.poll(() => runsOf(after, "2s").length, { timeout: 60_000 }).toBeGreaterThan(0);
    const [resumed] = runsOf(after, "2s");
    expect(resumed?.from).toBe(stoppedAt);
    expect(resumed?.windows).toBeGreaterThanOrEqual(4);

    const from = runsOf(before, "2s")[0]?.from ?? 0;
    const to = runsOf(after, "2s").at(-1)?.to ?? 0;
    expect(await stored(tenant, short, from, to)).toEqual(expected(raw, short, from, to));
  });

  it("aggregates a window again when late readings arrive within the lateness, and leaves older windows as published", async () => {
    const { tenant, folder } = await tenantWithDatabases();
    const now = Date.now();
    const raw = readings(11, now - 60_000, now + 120_000, 500);
    await writeRaw(tenant, raw);
    const group = uniqueName("agg-late");
    const short = fixedResolution(2_000);
    const worker = await start("late", group, folder, {
      AGGREGATOR_SHORT_WINDOW: "2s",
      AGGREGATOR_SHORT_SCHEDULE: "* * * * * *",
      AGGREGATOR_CATCH_UP: "60s",
      AGGREGATOR_LATENESS: "20s",
    });
    await expect.poll(() => runsOf(worker, "2s").length, { timeout: 60_000 }).toBeGreaterThan(1);
    const [first] = runsOf(worker, "2s");
    if (!first) throw new Error("no run logged");
    const latest = runsOf(worker, "2s").at(-1)?.to ?? 0;
    const recent = latest - 2_000;
    // Older than the lateness by far: published as it was.
    const old = first.from;
    expect(old).toBeLessThan(Date.now() - 30_000);
    // At an instant no raw reading of the series has: one there would be overwritten, not added to.
    const taken = new Set(
      raw.filter((r) => r.device === "count-1" && r.kind === "traffic.vehicle_count").map((r) => r.at),
    );
    const free = (at: number): number => (taken.has(at) ? free(at + 1) : at);
    const late: Reading[] = [
      { device: "count-1", district: "nord", kind: "traffic.vehicle_count", at: free(old + 1), value: 1_000 },
      { device: "count-1", district: "nord", kind: "traffic.vehicle_count", at: free(recent + 1), value: 1_000 },
    ];
    await writeRaw(tenant, late);

    await expect
      .poll(() => stored(tenant, short, recent, latest), { timeout: 30_000 })
      .toEqual(expected([...raw, ...late], short, recent, latest));
    expect(await stored(tenant, short, old, old + 2_000)).toEqual(expected(raw, short, old, old + 2_000));
  });

  it("runs in one of two replicas at a time, and in the other once the first stops", async () => {
    const { tenant, folder } = await tenantWithDatabases();
    const now = Date.now();
    const raw = readings(3, now - 30_000, now + 180_000, 250);
    await writeRaw(tenant, raw);
    const group = uniqueName("agg-lease");
    const short = fixedResolution(1_000);
    const env = {
      AGGREGATOR_SHORT_WINDOW: "1s",
      AGGREGATOR_SHORT_SCHEDULE: "* * * * * *",
      AGGREGATOR_CATCH_UP: "10s",
      AGGREGATOR_LATENESS: "0s",
    };
    const [a, b] = await Promise.all([start("a", group, folder, env), start("b", group, folder, env)]);
    const held = async () =>
      (await workerMetric(a, "stadtfluss_aggregator_lease_held")) +
      (await workerMetric(b, "stadtfluss_aggregator_lease_held"));
    const runs = () => runsOf(a, "1s").length + runsOf(b, "1s").length;
    await expect.poll(runs, { timeout: 60_000 }).toBeGreaterThan(5);
    await expect.poll(held, { timeout: 30_000 }).toBe(1);

    const holder = (await workerMetric(a, "stadtfluss_aggregator_lease_held")) === 1 ? a : b;
    const other = holder === a ? b : a;
    const idleRuns = runsOf(other, "1s").length;
    await expect.poll(() => runsOf(holder, "1s").length, { timeout: 30_000 }).toBeGreaterThan(runs() - idleRuns + 3);
    expect(runsOf(other, "1s").length).toBe(idleRuns);

    await holder.stop();
    await expect.poll(() => workerMetric(other, "stadtfluss_aggregator_lease_held"), { timeout: 60_000 }).toBe(1);
    const taken = runsOf(other, "1s").length;
    await expect.poll(() => runsOf(other, "1s").length, { timeout: 30_000 }).toBeGreaterThan(taken + 3);

    // No run of one replica overlapped a run of the other.
    const intervals = [...intervalsOf(a), ...intervalsOf(b)].sort((x, y) => x.start - y.start);
    for (let i = 1; i < intervals.length; i++) {
      const [previous, next] = [intervals[i - 1], intervals[i]];
      if (previous && next && previous.worker !== next.worker) expect(next.start).toBeGreaterThanOrEqual(previous.end);
    }
    // And between them every window was aggregated, as a direct computation gives it.
    const all = [...runsOf(a, "1s"), ...runsOf(b, "1s")].sort((x, y) => x.from - y.from);
    const from = all[0]?.from ?? 0;
    const to = all.at(-1)?.to ?? 0;
    expect(await stored(tenant, short, from, to)).toEqual(expected(raw, short, from, to));
  });

  it("hands the lease on when its holder dies without leaving the group, once the group evicted it", async () => {
    const { tenant, folder } = await tenantWithDatabases();
    const now = Date.now();
    await writeRaw(tenant, readings(13, now - 20_000, now + 120_000, 500));
    const group = uniqueName("agg-killed");
    const env = {
      AGGREGATOR_SHORT_WINDOW: "1s",
      AGGREGATOR_SHORT_SCHEDULE: "* * * * * *",
      AGGREGATOR_CATCH_UP: "10s",
      AGGREGATOR_LATENESS: "0s",
    };
    const [a, b] = await Promise.all([start("a", group, folder, env), start("b", group, folder, env)]);
    const heldBy = async () =>
      [
        (await workerMetric(a, "stadtfluss_aggregator_lease_held")) === 1 ? a : undefined,
        (await workerMetric(b, "stadtfluss_aggregator_lease_held")) === 1 ? b : undefined,
      ].filter((w) => w !== undefined);
    await expect.poll(async () => (await heldBy()).length, { timeout: 60_000 }).toBe(1);
    const [holder] = await heldBy();
    if (!holder) throw new Error("no holder");
    const other = holder === a ? b : a;
    holder.process.kill("SIGKILL");
    await holder.exited;

    await expect.poll(() => workerMetric(other, "stadtfluss_aggregator_lease_held"), { timeout: 60_000 }).toBe(1);
    const runs = runsOf(other, "1s").length;
    await expect.poll(() => runsOf(other, "1s").length, { timeout: 30_000 }).toBeGreaterThan(runs + 2);
  });

  it("aggregates a tenant added to the declaration without a restart", async () => {
    const first = await tenantWithDatabases();
    const added = await tenantWithDatabases();
    const now = Date.now();
    await writeRaw(added.tenant, readings(17, now - 20_000, now + 60_000, 500));
    const worker = await start("reload", uniqueName("agg-reload"), first.folder, {
      AGGREGATOR_SHORT_WINDOW: "2s",
      AGGREGATOR_SHORT_SCHEDULE: "* * * * * *",
      AGGREGATOR_CATCH_UP: "10s",
      AGGREGATOR_LATENESS: "0s",
      AGGREGATOR_DECLARATION_RELOAD_MS: "200",
    });
    await expect.poll(() => runsOf(worker, "2s").length, { timeout: 60_000 }).toBeGreaterThan(0);
    const tenants = () => new Set(runsOf(worker, "2s").map((r) => r.tenant));
    expect(tenants()).toEqual(new Set([first.tenant]));

    writeFileSync(
      join(first.folder, "platform.yaml"),
      `tenants:\n  - { id: ${first.tenant}, name: a, kind: municipality }\n  - { id: ${added.tenant}, name: b, kind: municipality }\n`,
    );
    await worker.waitForLine(/"msg":"device registry reloaded"/, 30_000);
    await expect.poll(() => tenants().has(added.tenant), { timeout: 30_000 }).toBe(true);
    const run = runsOf(worker, "2s").find((r) => r.tenant === added.tenant);
    expect(run?.windows).toBeGreaterThan(0);
  });

  it("logs and counts a failed run while the open database is missing, and aggregates once it exists", async () => {
    const { tenant, folder } = await tenantWithDatabases();
    await influxQL(
      { ...influx, database: databaseName(tenant, "open") },
      `DROP DATABASE "${databaseName(tenant, "open")}"`,
      {
        method: "POST",
      },
    );
    const now = Date.now();
    const raw = readings(5, now - 20_000, now + 60_000, 500);
    await writeRaw(tenant, raw);
    const worker = await start("missing", uniqueName("agg-missing"), folder, {
      AGGREGATOR_SHORT_WINDOW: "2s",
      AGGREGATOR_SHORT_SCHEDULE: "* * * * * *",
      AGGREGATOR_CATCH_UP: "10s",
      AGGREGATOR_LATENESS: "0s",
    });
    const line = await worker.waitForLine(/"msg":"aggregation run failed"/, 60_000);
    expect(line).toContain(`"tenant":"${tenant}"`);
    expect(line).toContain("database not found");
    const metrics = await (await fetch(`${worker.opsUrl}/metrics`)).text();
    expect(metrics).toMatch(/stadtfluss_aggregator_runs_total\{[^}]*outcome="failed"[^}]*\} [1-9]/);
    expect(runsOf(worker, "2s")).toEqual([]);

    await createDatabase({ ...influx, database: databaseName(tenant, "open") });
    await expect.poll(() => runsOf(worker, "2s").length, { timeout: 60_000 }).toBeGreaterThan(0);
    const [first] = runsOf(worker, "2s");
    if (!first) throw new Error("no run logged");
    expect(await stored(tenant, fixedResolution(2_000), first.from, first.to)).toEqual(
      expected(raw, fixedResolution(2_000), first.from, first.to),
    );
  });

  it("also sends every aggregate it writes to AGGREGATOR_TOPIC, as JSON keyed by what identifies it", async () => {
    const { tenant, folder } = await tenantWithDatabases();
    const now = Date.now();
    const raw = readings(23, now - 20_000, now + 60_000, 500);
    await writeRaw(tenant, raw);
    const group = uniqueName("agg-topic");
    const topic = `${group}.aggregates.v1`;
    const worker = await start("topic", group, folder, {
      AGGREGATOR_SHORT_WINDOW: "2s",
      AGGREGATOR_SHORT_SCHEDULE: "* * * * * *",
      AGGREGATOR_CATCH_UP: "10s",
      AGGREGATOR_LATENESS: "0s",
      AGGREGATOR_TOPIC: topic,
    });
    await expect.poll(() => runsOf(worker, "2s").length, { timeout: 60_000 }).toBeGreaterThan(1);
    await worker.stop();
    const finished = worker.output
      .filter((line) => line.includes('"msg":"aggregation run finished"'))
      .map((line) => JSON.parse(line) as { points: number });
    const count = finished.reduce((total, run) => total + run.points, 0);
    expect(count).toBeGreaterThan(0);

    const records = await readMessages(servers.kafkaBrokers, topic, count, 60_000);
    const short = fixedResolution(2_000);
    const runs = runsOf(worker, "2s");
    const rows = await stored(tenant, short, runs[0]?.from ?? 0, runs.at(-1)?.to ?? 0);
    const sent: Record<string, Record<string, number>> = {};
    for (const record of records) {
      const value = JSON.parse(String(record.value)) as {
        tenant: string;
        measurement: string;
        windowStart: string;
        tags: Record<string, string>;
        fields: Record<string, number>;
      };
      expect(value.tenant).toBe(tenant);
      expect(String(record.key)).toContain(`${tenant}|${value.measurement}|`);
      if (value.tags.resolution !== "2s") continue;
      const { scope, device = "", district } = value.tags;
      // Compared as the rows read back from InfluxDB are, which print a float to its last digit.
      sent[`${value.measurement}|${scope}|${device}|${district}|${Date.parse(value.windowStart)}`] = Object.fromEntries(
        Object.entries(value.fields).map(([name, field]) => [name, comparable(field)]),
      );
    }
    expect(sent).toEqual(rows);
  });

  it("stops start-up with exit code 78 on a bad setting, naming it", async () => {
    const broken = await startWorker(
      "aggregator",
      {
        KAFKA_BROKERS: servers.kafkaBrokers.join(","),
        INFLUX_URL: servers.influxUrl,
        AGGREGATOR_DECLARATION: "unused",
        AGGREGATOR_DAILY_SCHEDULE: "at midnight",
      },
      { waitForStart: false },
    );
    expect((await broken.exited).code).toBe(78);
    const line = await broken.waitForLine(/AGGREGATOR_DAILY_SCHEDULE: /);
    expect(line).toMatch(/AGGREGATOR_DAILY_SCHEDULE: must be a cron expression/);
  });

  it("stops start-up with exit code 78 on a broken declaration, naming the file and line", async () => {
    const folder = mkdtempSync(join(tmpdir(), "sf-aggregator-declaration-"));
    writeFileSync(join(folder, "platform.yaml"), "tenants:\n  - { id: Musterstadt, name: M, kind: municipality }\n");
    const broken = await startWorker(
      "aggregator",
      { KAFKA_BROKERS: servers.kafkaBrokers.join(","), INFLUX_URL: servers.influxUrl, AGGREGATOR_DECLARATION: folder },
      { waitForStart: false },
    );
    expect((await broken.exited).code).toBe(78);
    expect(await broken.waitForLine(/platform\.yaml:2: tenants\[0\]\.id/)).toContain("lowercase");
  });
});
