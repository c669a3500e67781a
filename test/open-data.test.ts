import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { Secret } from "@stadtfluss/config";
import { influxQL, ObservationWriter, observationToPoint, quoteIdentifier, seriesRows } from "@stadtfluss/influx";
import { databaseName } from "@stadtfluss/registry";
import { type CatalogueDevice, simulatedDevices } from "@stadtfluss/simulator/device-catalogue";
import { registryYaml } from "@stadtfluss/simulator/registry-file";
import { freePort, repositoryRoot, startWorker, uniqueName, type WorkerProcess } from "@stadtfluss/testing";
import mqtt from "mqtt";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { type Pipeline, startPipeline } from "./pipeline.ts";

const servers = inject("servers");
const influxAuth = inject("influxAuth");
const HOUR = 3_600_000;
/** The short window of the live part: long enough that most meters' whole-Wh registers move in it, also at night. */
const SHORT_MS = 5_000;
const K = 5;
const NEVER = "0 0 1 1 *";

type Row = Record<string, unknown>;

/** Traffic counters and household meters of one tenant, on the pipeline's stadtfluss-json topics. */
function fleet(tenant: string, topicPrefix: string, householdMeters: number, airSensors: number): CatalogueDevice[] {
  return simulatedDevices({
    tenant,
    topicPrefix,
    devices: {
      trafficCounters: 6,
      householdMeters,
      dsmrMeters: 0,
      tasmotaMeters: 0,
      airSensors,
      parkingSensors: 0,
      environmentSensors: 0,
      waterGauges: 0,
      weatherStations: 0,
    },
  });
}

const households = (devices: readonly CatalogueDevice[]) => {
  const perDistrict = new Map<string, number>();
  for (const d of devices.filter((d) => d.privacy === "personal"))
    perDistrict.set(d.district, (perDistrict.get(d.district) ?? 0) + 1);
  return perDistrict;
};

async function rows(tenant: string, dataClass: "public" | "personal" | "open", q: string): Promise<Row[]> {
  const [series = []] = await influxQL({ url: servers.influxUrl, database: databaseName(tenant, dataClass) }, q);
  return series.flatMap((s) => seriesRows([s]).map((row) => ({ ...row, measurement: s.name })));
}

/** InfluxDB 1.x's PERCENTILE: the nearest rank. */
function nearestRank(values: readonly number[], percentile: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length * percentile) / 100 + 0.5) - 1] as number;
}
const sum = (values: readonly number[]) => values.reduce((a, b) => a + b, 0);

type Statistic = "sum" | "mean" | "min" | "max" | "p95";
const STATS: Statistic[] = ["mean", "min", "max", "p95"];
const LEVELS: Statistic[] = ["mean", "min", "max"];
/** The roll-ups of docs/open-data.md for what the simulated counters and airrohr stations send. */
const ROLLUPS: Record<string, Record<string, { statistics: Statistic[]; district: boolean }>> = {
  traffic: {
    vehicle_count: { statistics: ["sum"], district: true },
    average_speed: { statistics: STATS, district: false },
  },
  air: {
    pm10: { statistics: STATS, district: false },
    pm2_5: { statistics: STATS, district: false },
    temperature: { statistics: LEVELS, district: false },
    humidity: { statistics: LEVELS, district: false },
    pressure: { statistics: LEVELS, district: false },
  },
};
const statistic = (name: Statistic, values: readonly number[]) =>
  name === "sum"
    ? sum(values)
    : name === "mean"
      ? sum(values) / values.length
      : name === "min"
        ? Math.min(...values)
        : name === "max"
          ? Math.max(...values)
          : nearestRank(values, 95);

type Rollups = Record<string, Record<string, number>>;

/** The roll-ups of `measurement` computed here from the raw readings stored in the tenant's public database. */
async function rollupsFromRaw(tenant: string, measurement: string, windowMs: number, from: number, to: number) {
  const quantities = ROLLUPS[measurement] ?? {};
  const raw = await rows(
    tenant,
    "public",
    `SELECT ${Object.keys(quantities).map(quoteIdentifier).join(", ")}, device, district FROM ${quoteIdentifier(measurement)} WHERE time >= ${from}ms AND time < ${to}ms`,
  );
  const groups = new Map<string, Map<string, number[]>>();
  const add = (key: string, quantity: string, value: number) => {
    const group = groups.get(key) ?? new Map<string, number[]>();
    group.set(quantity, [...(group.get(quantity) ?? []), value]);
    groups.set(key, group);
  };
  for (const r of raw) {
    const window = Math.floor(Number(r.time) / windowMs) * windowMs;
    for (const [quantity, rollup] of Object.entries(quantities)) {
      const value = r[quantity];
      if (typeof value !== "number") continue;
      add(`${measurement}|device|${r.device}|${r.district}|${window}`, quantity, value);
      if (rollup.district) add(`${measurement}|district||${r.district}|${window}`, quantity, value);
    }
  }
  const out: Rollups = {};
  for (const [key, group] of groups) {
    const fields: Record<string, number> = {};
    const scope = key.split("|")[1];
    for (const [quantity, values] of group) {
      const rollup = quantities[quantity];
      if (!rollup || (scope === "district" && !rollup.district)) continue;
      for (const name of rollup.statistics) fields[`${quantity}_${name}`] = statistic(name, values);
    }
    if (Object.keys(fields).length > 0) out[key] = fields;
  }
  return { rollups: out, readings: raw.length };
}

/** The roll-ups the aggregator stored in the tenant's open database, keyed as above. */
async function rollupsStored(tenant: string, measurement: string, resolution: string, from: number, to: number) {
  const stored = await rows(
    tenant,
    "open",
    `SELECT * FROM ${quoteIdentifier(measurement)} WHERE "resolution" = '${resolution}' AND time >= ${from}ms AND time < ${to}ms`,
  );
  const out: Rollups = {};
  for (const r of stored) {
    const fields: Record<string, number> = {};
    for (const [name, value] of Object.entries(r))
      if (typeof value === "number" && name !== "time") fields[name] = value;
    out[`${measurement}|${r.scope}|${r.device ?? ""}|${r.district}|${r.time}`] = fields;
  }
  return out;
}

/** The same cells and statistics; means within rounding, since InfluxDB sums in another order. */
function expectSameRollups(stored: Rollups, computed: Rollups): void {
  expect(Object.keys(stored).sort()).toEqual(Object.keys(computed).sort());
  for (const [key, fields] of Object.entries(computed)) {
    const got = stored[key] ?? {};
    expect(Object.keys(got).sort(), key).toEqual(Object.keys(fields).sort());
    for (const [name, value] of Object.entries(fields)) {
      if (name.endsWith("_mean"))
        expect(Math.abs((got[name] ?? Number.NaN) - value), `${key} ${name}`).toBeLessThanOrEqual(
          1e-9 * Math.max(1, Math.abs(value)),
        );
      else expect(got[name], `${key} ${name}`).toBe(value);
    }
  }
}

/** Each household's consumption per window from its stored register: last reading of a window minus the last of the one before. */
async function consumptionFromRaw(tenant: string, from: number, to: number) {
  const raw = await rows(
    tenant,
    "personal",
    `SELECT active_import, device, district FROM "energy" WHERE time >= ${from - SHORT_MS}ms AND time < ${to}ms`,
  );
  const last = new Map<string, { at: number; register: number; district: string }>();
  for (const r of raw) {
    if (typeof r.active_import !== "number") continue;
    const key = `${r.device}|${Math.floor(Number(r.time) / SHORT_MS) * SHORT_MS}`;
    const seen = last.get(key);
    if (!seen || Number(r.time) > seen.at)
      last.set(key, { at: Number(r.time), register: r.active_import, district: String(r.district) });
  }
  const contributions: Array<{ window: number; district: string; kwh: number }> = [];
  for (const [key, reading] of last) {
    const [device, window] = key.split("|") as [string, string];
    const before = last.get(`${device}|${Number(window) - SHORT_MS}`);
    if (Number(window) < from || !before || reading.register < before.register) continue;
    contributions.push({ window: Number(window), district: reading.district, kwh: reading.register - before.register });
  }
  return contributions;
}

async function platformApply(declaration: string, prefix: string, credentials: string): Promise<void> {
  const passwordFile = join(credentials, "admin.password");
  writeFileSync(passwordFile, influxAuth.password, { mode: 0o600 });
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [
      join(repositoryRoot(), "packages/platform/src/main.ts"),
      "apply",
      "--declaration",
      declaration,
      "--credentials-dir",
      join(credentials, "out"),
    ],
    {
      env: {
        PATH: process.env.PATH ?? "",
        INFLUX_URL: influxAuth.url,
        INFLUX_USERNAME: influxAuth.username,
        INFLUX_PASSWORD_FILE: passwordFile,
        PLATFORM_MANAGED_PREFIX: prefix,
      },
    },
  );
  expect(stdout).toMatch(/in sync/);
}

describe("open data from the simulator's traffic counters, air stations and household meters, through the whole pipeline", () => {
  const tenant = uniqueName("od")
    .toLowerCase()
    .replaceAll(/[^a-z0-9-]/g, "");
  const other = `${tenant}-other`;
  const reader = `${tenant}-open-data`;
  const dir = mkdtempSync(join(tmpdir(), "sf-open-data-e2e-"));
  const workers: WorkerProcess[] = [];
  let pipeline: Pipeline;
  let fleets: Record<string, CatalogueDevice[]>;
  let api: WorkerProcess;
  let base: string;
  /** The range of the live part: the first and last simulated reading. */
  let live: { from: number; to: number };
  let historyFrom: number;

  async function aggregator(name: string, env: Record<string, string>): Promise<WorkerProcess> {
    const group = uniqueName(`od-${name}`);
    const worker = await startWorker("aggregator", {
      KAFKA_BROKERS: servers.kafkaBrokers.join(","),
      KAFKA_TOPIC_PREFIX: `${group}.`,
      KAFKA_GROUP_ID: group,
      KAFKA_SESSION_TIMEOUT_MS: "6000",
      INFLUX_URL: servers.influxUrl,
      INFLUX_TIMEOUT_MS: "5000",
      AGGREGATOR_HANDOVER_MS: "5500",
      AGGREGATOR_DECLARATION: join(dir, "platform.yaml"),
      AGGREGATOR_HOURLY_SCHEDULE: NEVER,
      AGGREGATOR_DAILY_SCHEDULE: NEVER,
      AGGREGATOR_PRIVACY_MIN_HOUSEHOLDS: String(K),
      ...env,
    });
    workers.push(worker);
    return worker;
  }

  const runsOf = (worker: WorkerProcess, who: string, resolution: string, data: "public" | "personal") =>
    worker.output
      .filter((line) => line.includes('"msg":"aggregation run finished"'))
      .map((line) => JSON.parse(line) as { tenant: string; resolution: string; data: string; from: string; to: string })
      .filter((run) => run.tenant === who && run.resolution === resolution && run.data === data)
      .map((run) => ({ from: Date.parse(run.from), to: Date.parse(run.to) }));

  beforeAll(async () => {
    // Air stations only for the first tenant: their topic (airrohr/<device>/data) does not name one.
    fleets = { [tenant]: fleet(tenant, "", 16, 3), [other]: fleet(other, "", 8, 0) };
    // The declaration the aggregator, the API and `pnpm platform` read: both tenants and the API's reader.
    writeFileSync(
      join(dir, "platform.yaml"),
      [
        "tenants:",
        `  - { id: ${tenant}, name: Musterstadt, kind: municipality }`,
        `  - { id: ${other}, name: Nachbarstadt, kind: municipality }`,
        "readers:",
        `  - { name: ${reader}, read: { "*": [open] } }`,
      ].join("\n"),
    );
    // The normalizer's device registry: every simulated device with its district and privacy class.
    writeFileSync(join(dir, "devices.yaml"), registryYaml([...(fleets[tenant] ?? []), ...(fleets[other] ?? [])]));
    pipeline = await startPipeline(
      servers,
      { normalizer: { NORMALIZER_REGISTRY: join(dir, "devices.yaml") } },
      { tenant, subscriptions: [{ topic: "airrohr/{device}/data", format: "sensor-community", tenant }] },
    );
  });

  afterAll(async () => {
    await Promise.all(workers.splice(0).map((worker) => worker.stop()));
    await api?.stop();
    await pipeline?.stop();
    // What `pnpm platform apply` created on the auth-enabled InfluxDB.
    const admin = {
      url: influxAuth.url,
      token: new Secret(`${influxAuth.username}:${influxAuth.password}`),
      database: "",
    };
    await influxQL(admin, `DROP USER ${quoteIdentifier(reader)}`, { method: "POST" }).catch(() => undefined);
    for (const t of [tenant, other])
      for (const c of ["public", "personal", "open"] as const)
        await influxQL(admin, `DROP DATABASE ${quoteIdentifier(databaseName(t, c))}`, { method: "POST" }).catch(
          () => undefined,
        );
    rmSync(dir, { recursive: true, force: true });
  });

  it("stores the simulated readings of both tenants, with districts, and hours of history written beside them", async () => {
    // History older than the normalizer's time window cannot pass the pipeline: it is written
    // to InfluxDB directly, for the simulator's own counters and districts, every 5 minutes.
    const now = Date.now();
    historyFrom = Math.floor(now / HOUR) * HOUR - 3 * HOUR;
    const counters = (fleets[tenant] ?? []).filter((d) => d.privacy === "public");
    const writer = new ObservationWriter({ url: servers.influxUrl, org: "", gzip: false });
    const history = counters.flatMap((device, d) =>
      Array.from({ length: 36 }, (_, i) => historyFrom + i * 300_000 + d * 1_000).flatMap((at, i) =>
        (
          [
            ["traffic.vehicle_count", (i * 7 + d * 3) % 40, "{vehicle}"],
            ["traffic.average_speed", 25 + ((i * 13 + d) % 30) / 2, "km/h"],
          ] as const
        ).map(([kind, value, unit]) => ({
          database: databaseName(tenant, "public"),
          point: observationToPoint({
            tenant,
            deviceId: device.id,
            district: device.district,
            kind,
            value,
            unit,
            observedAt: new Date(at).toISOString(),
            receivedAt: new Date(at).toISOString(),
            source: "history",
            privacy: "public",
          }),
        })),
      ),
    );
    expect((await writer.writeRouted(history)).rejected).toEqual([]);

    // Both tenants' simulators at once, each for about 20 seconds (4 messages per device and second).
    const simulate = (t: string, devices: readonly CatalogueDevice[]) =>
      startWorker(
        "simulator",
        {
          MQTT_URL: servers.mqttUrl,
          SIM_TOPIC_PREFIX: pipeline.mqttPrefix,
          SIM_TENANT: t,
          SIM_TRAFFIC_COUNTERS: "6",
          SIM_HOUSEHOLD_METERS: String(devices.filter((d) => d.privacy === "personal").length),
          SIM_DSMR_METERS: "0",
          SIM_TASMOTA_METERS: "0",
          SIM_AIR_SENSORS: String(devices.filter((d) => d.format === "sensor-community").length),
          SIM_PARKING_SENSORS: "0",
          SIM_ENVIRONMENT_SENSORS: "0",
          SIM_WATER_GAUGES: "0",
          SIM_WEATHER_STATIONS: "0",
          SIM_RATE: String(devices.length * 4),
          SIM_COUNT: String(devices.length * 4 * 20),
          SIM_SEED: "19",
        },
        { waitForStart: false },
      );
    // An airrohr station sends at most once a second, so the air messages are counted at the broker.
    const stations = new Set((fleets[tenant] ?? []).filter((d) => d.format === "sensor-community").map((d) => d.topic));
    let airMessages = 0;
    const listener = await mqtt.connectAsync(servers.mqttUrl, { clientId: `${tenant}-air-count` });
    listener.on("message", (topic) => {
      if (stations.has(topic)) airMessages++;
    });
    await listener.subscribeAsync("airrohr/+/data", { qos: 1 });
    const simulators = await Promise.all([tenant, other].map((t) => simulate(t, fleets[t] ?? [])));
    for (const simulator of simulators) expect((await simulator.exited).code).toBe(0);
    const sent = (t: string) => (fleets[t]?.length ?? 0) * 4 * 20;

    const stored = async (t: string) =>
      sum(
        (
          await rows(t, "public", 'SELECT count(seq) AS n FROM "traffic"').then(async (r) => [
            ...r,
            ...(await rows(t, "personal", 'SELECT count(seq) AS n FROM "energy"')),
          ])
        ).map((r) => Number(r.n ?? 0)),
      );
    // Neither count can run ahead of what was sent, so their sum reaches it only once both are complete.
    await expect
      .poll(async () => (await stored(tenant)) + airMessages, { timeout: 90_000, interval: 500 })
      .toBe(sent(tenant));
    await listener.endAsync();
    expect(airMessages).toBeGreaterThan(3 * 5);
    await expect.poll(() => stored(other), { timeout: 90_000, interval: 500 }).toBe(sent(other));
    const air = async () => Number((await rows(tenant, "public", 'SELECT count(pm10) AS n FROM "air"'))[0]?.n ?? 0);
    await expect.poll(air, { timeout: 90_000, interval: 500 }).toBe(airMessages);

    // The live part's range, over both tenants' meters (the history ended before this hour).
    const edges = await Promise.all(
      [tenant, other].flatMap((t) =>
        ["first", "last"].map(async (selector) => {
          const [row] = await rows(t, "personal", `SELECT ${selector}(seq) FROM "energy" WHERE time > now() - 1h`);
          return Number(row?.time);
        }),
      ),
    );
    expect(edges.every(Number.isFinite)).toBe(true);
    live = { from: Math.min(...edges), to: Math.max(...edges) + 1 };
    // Every reading carries its device's registered district; meters only in the personal database.
    const districts = await rows(tenant, "personal", 'SHOW TAG VALUES FROM "energy" WITH KEY = "district"');
    expect(districts.map((r) => r.value).sort()).toEqual([...households(fleets[tenant] ?? []).keys()].sort());
    expect(await rows(tenant, "public", 'SELECT count(seq) FROM "energy"')).toEqual([]);
  });

  it("rolls the hours of history up as a direct computation over the stored raw readings does", async () => {
    const hourly = await aggregator("hours", { AGGREGATOR_CATCH_UP: "4h", AGGREGATOR_LATENESS: "0s" });
    await expect.poll(() => runsOf(hourly, tenant, "1h", "public").length, { timeout: 90_000 }).toBeGreaterThan(0);
    const [run] = runsOf(hourly, tenant, "1h", "public");
    if (!run) throw new Error("no hourly run logged");
    expect(run.from).toBeLessThanOrEqual(historyFrom);
    const { rollups, readings } = await rollupsFromRaw(tenant, "traffic", HOUR, run.from, run.to);
    expect(readings).toBeGreaterThanOrEqual(3 * 12 * 6);
    const stored = await rollupsStored(tenant, "traffic", "1h", run.from, run.to);
    expect(Object.keys(stored).length).toBeGreaterThanOrEqual(3 * 6);
    expectSameRollups(stored, rollups);
    await hourly.stop();
  });

  it("rolls the simulated readings up in short windows as computed from the raw readings; households below k and what would reveal them are suppressed", async () => {
    const short = await aggregator("short", {
      AGGREGATOR_SHORT_WINDOW: `${SHORT_MS / 1000}s`,
      AGGREGATOR_SHORT_SCHEDULE: "* * * * * *",
      AGGREGATOR_CATCH_UP: "5m",
      AGGREGATOR_LATENESS: "2s",
    });
    const tag = `${SHORT_MS / 1000}s`;
    // Until both tenants' household windows past the last simulated reading are final.
    for (const t of [tenant, other])
      await expect
        .poll(() => runsOf(short, t, tag, "personal").at(-1)?.to ?? 0, { timeout: 90_000, interval: 500 })
        .toBeGreaterThan(live.to);

    const from = Math.floor(live.from / SHORT_MS) * SHORT_MS;
    const to = Math.floor(live.to / SHORT_MS) * SHORT_MS + SHORT_MS;
    await expect
      .poll(() => runsOf(short, tenant, tag, "public").at(-1)?.to ?? 0, { timeout: 60_000 })
      .toBeGreaterThanOrEqual(to);
    for (const [t, measurement] of [
      [tenant, "traffic"],
      [tenant, "air"],
      [other, "traffic"],
    ] as const) {
      const { rollups } = await rollupsFromRaw(t, measurement, SHORT_MS, from, to);
      expect(Object.keys(rollups).length, `${t} ${measurement}`).toBeGreaterThanOrEqual(3 * 3);
      expectSameRollups(await rollupsStored(t, measurement, tag, from, to), rollups);
    }

    let published = 0;
    for (const t of [tenant, other]) {
      const contributions = await consumptionFromRaw(t, from, to);
      const cells = await rows(
        t,
        "open",
        `SELECT * FROM "energy" WHERE "resolution" = '${tag}' AND time >= ${from}ms AND time < ${to}ms`,
      );
      const windows = [...new Set(contributions.map((c) => c.window))];
      expect(windows.length).toBeGreaterThanOrEqual(2);
      const publishedBefore = published;
      let belowK = 0;
      for (const window of windows) {
        const inWindow = contributions.filter((c) => c.window === window);
        const cell = (district?: string) =>
          cells.find(
            (c) =>
              c.time === window &&
              (district === undefined ? c.scope === "tenant" : c.scope === "district" && c.district === district),
          );
        for (const district of new Set(inWindow.map((c) => c.district))) {
          const parts = inWindow.filter((c) => c.district === district);
          const stored = cell(district);
          expect(stored, `${t} ${district} ${window}`).toBeDefined();
          if (parts.length < K) {
            belowK++;
            expect(stored).toMatchObject({ suppressed: true, consumption_kwh: null });
          }
          if (stored?.suppressed === false) {
            published++;
            expect(stored.households).toBe(parts.length);
            expect(stored.consumption_kwh).toBeCloseTo(sum(parts.map((p) => p.kwh)), 9);
          }
        }
        const total = cell();
        if (total?.suppressed === false) {
          published++;
          expect(total.households).toBe(inWindow.length);
          expect(total.consumption_kwh).toBeCloseTo(sum(inWindow.map((p) => p.kwh)), 9);
        }
      }
      // No published figure without households behind it: every one was checked above.
      expect(cells.filter((c) => c.suppressed === false)).toHaveLength(published - publishedBefore);
      // Each tenant has districts with fewer households than k: their cells were checked above.
      expect(belowK, t).toBeGreaterThan(0);
    }
    // The rules published something from this data; a check of published figures that saw none would prove nothing.
    expect(published).toBeGreaterThan(0);
  });

  it("the open-data API publishes the roll-ups as stored, suppressed cells as suppressed", async () => {
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    api = await startWorker("open-data-api", {
      INFLUX_URL: servers.influxUrl,
      OPEN_DATA_DECLARATION: join(dir, "platform.yaml"),
      OPEN_DATA_READER: reader,
      OPEN_DATA_API_HOST: "127.0.0.1",
      OPEN_DATA_API_PORT: String(port),
    });
    const tag = `${SHORT_MS / 1000}s`;
    const from = Math.floor(live.from / SHORT_MS) * SHORT_MS;
    const to = Math.floor(live.to / SHORT_MS) * SHORT_MS + SHORT_MS;
    // The API's `resolution` parameter takes minutes, hours and days; the short windows here are seconds, and the only aggregates in the range.
    const range = `from=${new Date(from).toISOString()}&to=${new Date(to).toISOString()}`;
    const all = async (path: string) => {
      const out: Row[] = [];
      let next: string | undefined = `${base}${path}`;
      while (next !== undefined) {
        const response: Response = await fetch(next);
        expect(response.status, next).toBe(200);
        const body = (await response.json()) as { observations: Row[]; next?: string };
        out.push(...body.observations.filter((o) => o.resolution === tag));
        next = body.next;
      }
      return out;
    };

    const { datasets } = (await (await fetch(`${base}/v1/datasets`)).json()) as { datasets: Array<{ id: string }> };
    expect(datasets.map((d) => d.id).sort()).toEqual(
      [`${tenant}/air`, `${tenant}/energy`, `${tenant}/traffic`, `${other}/energy`, `${other}/traffic`].sort(),
    );

    for (const t of [tenant, other]) {
      const stored = await rows(
        t,
        "open",
        `SELECT * FROM "energy" WHERE "resolution" = '${tag}' AND time >= ${from}ms AND time < ${to}ms`,
      );
      const published = await all(`/v1/datasets/${t}/energy/observations?${range}`);
      expect(published).toHaveLength(stored.length);
      const suppressed = stored.filter((r) => r.suppressed === true);
      expect(suppressed.length).toBeGreaterThan(0);
      for (const cell of stored) {
        const answer = published.find(
          (o) =>
            o.time === new Date(Number(cell.time)).toISOString() &&
            o.scope === cell.scope &&
            (o.district ?? null) === (cell.district ?? null),
        );
        expect(answer, JSON.stringify(cell)).toBeDefined();
        if (cell.suppressed === true) {
          expect(answer).toMatchObject({ suppressed: true });
          expect(answer?.consumption_kwh ?? null).toBeNull();
          expect(answer?.households ?? null).toBeNull();
        } else {
          expect(answer).toMatchObject({
            suppressed: false,
            consumption_kwh: cell.consumption_kwh,
            households: cell.households,
          });
        }
      }
      // The same in CSV: a suppressed cell is a row with an empty figure, never a zero.
      const csv = await (await fetch(`${base}/v1/datasets/${t}/energy/observations?${range}&format=csv`)).text();
      const [header = "", ...lines] = csv.trim().split(/\r?\n/);
      const columns = header.split(",");
      const at = (line: string, name: string) => line.split(",")[columns.indexOf(name)];
      const suppressedLines = lines.filter(
        (line) => at(line, "resolution") === tag && at(line, "suppressed") === "true",
      );
      expect(suppressedLines).toHaveLength(suppressed.length);
      for (const line of suppressedLines) expect(at(line, "consumption_kwh")).toBe("");
    }

    // A counter's traffic and a station's air of the live part, as stored.
    const station = (fleets[tenant] ?? []).find((d) => d.format === "sensor-community")?.id ?? "";
    for (const [measurement, device, field] of [
      ["traffic", "traffic-0001", "vehicle_count_sum"],
      ["air", station, "pm10_mean"],
    ] as const) {
      const published = await all(`/v1/datasets/${tenant}/${measurement}/observations?${range}&device=${device}`);
      const stored = await rows(
        tenant,
        "open",
        `SELECT * FROM ${quoteIdentifier(measurement)} WHERE "resolution" = '${tag}' AND "device" = '${device}' AND time >= ${from}ms AND time < ${to}ms`,
      );
      expect(published.length, measurement).toBeGreaterThan(0);
      expect(published.map((o) => [o.time, o[field]])).toEqual(
        stored.map((r) => [new Date(Number(r.time)).toISOString(), r[field]]),
      );
    }
  });

  it("the API's credential, made by `pnpm platform apply` from the same declaration, reads the open databases and gets an authorization error on a personal one", async () => {
    const credentials = mkdtempSync(join(tmpdir(), "sf-open-data-credentials-"));
    try {
      await platformApply(join(dir, "platform.yaml"), tenant, credentials);
      const token = new Secret(readFileSync(join(credentials, "out", `${reader}.token`), "utf8").trim());
      const show = (database: string) => influxQL({ url: influxAuth.url, token, database }, "SHOW MEASUREMENTS");
      for (const t of [tenant, other]) {
        await expect(show(databaseName(t, "open"))).resolves.toBeDefined();
        await expect(show(databaseName(t, "personal"))).rejects.toThrow(/403/);
        await expect(show(databaseName(t, "public"))).rejects.toThrow(/403/);
      }
    } finally {
      rmSync(credentials, { recursive: true, force: true });
    }
  });
});
