import { influxQL, seriesRows } from "@stadtfluss/influx";
import { mqttSubscriptions } from "@stadtfluss/simulator/device-catalogue";
import { startWorker, uniqueName } from "@stadtfluss/testing";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { CITY_TIME_ZONE, type Dashboard, dashboards, fillVariables } from "../dashboards/index.ts";
import { fleetRegistry } from "./fleet.ts";
import { type Pipeline, startPipeline } from "./pipeline.ts";

const servers = inject("servers");
type Row = Record<string, unknown>;

/**
 * The fleet of the first run; the second run sends only traffic counters and
 * household meters, so the other devices have been silent since the first ended.
 */
const FLEET = {
  SIM_TRAFFIC_COUNTERS: "3",
  SIM_PARKING_SENSORS: "6",
  SIM_AIR_SENSORS: "2",
  SIM_WATER_GAUGES: "1",
  SIM_HOUSEHOLD_METERS: "2",
  SIM_DSMR_METERS: "1",
  SIM_TASMOTA_METERS: "1",
  SIM_ENVIRONMENT_SENSORS: "0",
  SIM_WEATHER_STATIONS: "0",
};
const STILL_SENDING = new Set(["SIM_TRAFFIC_COUNTERS", "SIM_HOUSEHOLD_METERS"]);
const BUCKET = 10_000;
const SECOND = 1000;
const HOUR = 3_600_000;

const byDevice = (rows: readonly Row[]) => Map.groupBy(rows, (row) => String(row.device));
const mean = (values: readonly number[]) => values.reduce((a, b) => a + b, 0) / values.length;
const sum = (values: readonly number[]) => values.reduce((a, b) => a + b, 0);

describe("every dashboard's queries against the InfluxDB the simulator filled through the pipeline", () => {
  const prefix = uniqueName("dashboards");
  const tenant = uniqueName("t");
  const fleet = { SIM_TENANT: tenant, SIM_TOPIC_PREFIX: prefix, ...FLEET };
  const { registryFile, devices } = fleetRegistry(fleet);
  const districtOf = new Map(devices.map((d) => [d.id, d.district]));
  const siteOf = new Map(devices.flatMap((d) => (d.site === undefined ? [] : [[d.id, d.site] as const])));
  let pipeline: Pipeline;
  let startedAt = 0;
  /** Between the end of the first run and the start of the second: silent means nothing since. */
  let silentSince = 0;
  const publicDb = () => pipeline.databases[0] as string;
  const personalDb = () => pipeline.databases[1] as string;

  async function simulate(counts: Record<string, string>, messages: number) {
    const simulator = await startWorker(
      "simulator",
      { MQTT_URL: servers.mqttUrl, SIM_RATE: "20", SIM_COUNT: String(messages), SIM_SEED: "7", ...fleet, ...counts },
      { waitForStart: false },
    );
    expect((await simulator.exited).code).toBe(0);
  }
  /** Each message is one point of one of these fields: counting them counts the messages stored. */
  async function storedMessages() {
    const count = (m: string, f: string) => `SELECT count("${f}") AS "n" FROM "${m}"`;
    const rows = [
      ...(await raw(count("traffic", "vehicle_count"))),
      ...(await raw(count("parking", "occupied"))),
      ...(await raw(count("air", "pm10"))),
      ...(await raw(count("water", "level"))),
      ...(await raw(count("energy", "active_power"), personalDb())),
    ];
    return sum(rows.map((row) => Number(row.n)));
  }
  async function waitForMessages(expected: number) {
    const deadline = Date.now() + 60_000;
    let stored = await storedMessages();
    while (stored < expected && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      stored = await storedMessages();
    }
    expect(stored).toBe(expected);
  }
  const devicesOf = (prefixes: string[]) => devices.filter((d) => prefixes.some((p) => d.id.startsWith(p)));
  const everyDeviceIn = (expected: { id: string }[]) => (rows: Row[]) =>
    expected.every((d) => rows.some((row) => row.device === d.id));

  beforeAll(async () => {
    pipeline = await startPipeline(
      servers,
      {
        bridge: {
          MQTT_SOURCES: JSON.stringify([
            {
              id: "city",
              url: servers.mqttUrl,
              clientId: `${prefix}-bridge`,
              subscriptions: mqttSubscriptions({ tenant, topicPrefix: prefix }),
            },
          ]),
        },
        // Observation v2 and later (v4, as `pnpm start` runs): the registry's site reaches the parking bays' points.
        normalizer: { NORMALIZER_REGISTRY: registryFile, NORMALIZER_OBSERVATION_VERSION: "4" },
      },
      { tenant },
    );
    startedAt = Date.now();
    await simulate({}, 160);
    const firstEnded = Date.now();
    await waitForMessages(160);
    const publicDevices = devices.filter((d) => d.privacy === "public");
    const meters = devices.filter((d) => d.privacy === "personal");
    expect(everyDeviceIn(publicDevices)(await raw(`SELECT count(*) FROM /.*/ GROUP BY "device"`))).toBe(true);
    expect(everyDeviceIn(meters)(await raw(`SELECT count(*) FROM "energy" GROUP BY "device"`, personalDb()))).toBe(
      true,
    );

    const secondStarted = Date.now();
    silentSince = (firstEnded + secondStarted) / 2;
    const secondRun = Object.fromEntries(
      Object.entries(FLEET).map(([family, count]) => [family, STILL_SENDING.has(family) ? count : "0"]),
    );
    await simulate(secondRun, 40);
    // Everything stored before the queries run, so that what they show and what the readings say agree.
    await waitForMessages(200);
  }, 240_000);
  afterAll(() => pipeline?.stop());

  /** The query of target `refId` of panel `id`, run as Grafana runs it: variables filled, `timeFrom` applied. */
  async function panel(
    dashboard: Dashboard,
    id: number,
    values: Record<string, readonly string[] | string>,
    options: { database?: string; refId?: string; interval?: string } = {},
  ) {
    const found = dashboard.panels.find((p) => p.id === id);
    const target = found?.targets.find((t) => t.refId === (options.refId ?? "A"));
    if (!found || !target) throw new Error(`${dashboard.uid} has no panel ${id} ${options.refId ?? "A"}`);
    // As Grafana: the range ends now, and a panel's `timeFrom` starts it that long before.
    const to = new Date();
    const from = found.timeFrom ? new Date(Date.now() - duration(found.timeFrom)) : new Date(startedAt - 60_000);
    const query = fillVariables(target.query, {
      from,
      to,
      interval: options.interval ?? `${BUCKET / 1000}s`,
      values: { district: [".*"], site: [".*"], device: [".*"], ...values },
    });
    const [series = []] = await influxQL({ url: servers.influxUrl, database: options.database ?? publicDb() }, query);
    return series;
  }
  async function variable(
    dashboard: Dashboard,
    name: string,
    values: Record<string, readonly string[]>,
    database: string,
  ) {
    const found = dashboard.templating.list.find((v) => v.name === name);
    if (found?.type !== "query") throw new Error(`${dashboard.uid} has no query variable ${name}`);
    const window = { from: new Date(startedAt), to: new Date(), interval: "1m" };
    const [series = []] = await influxQL(
      { url: servers.influxUrl, database },
      fillVariables(found.query, { ...window, values: { district: [".*"], site: [".*"], ...values } }),
    );
    // Grafana keeps each value once: without FROM, every measurement answers with its own.
    return [...new Set(seriesRows(series).map((row) => String(row.value)))].sort();
  }
  const raw = (query: string, database = publicDb()) => pipeline.query(query, [database]);
  const districtsOf = (ids: Iterable<string>) => [...new Set([...ids].map((id) => districtOf.get(id) ?? ""))].sort();

  it("every dashboard lists the districts and devices of its measurement, narrowed by the district picked", async () => {
    const cases: Array<[Exclude<keyof typeof dashboards, "pipeline">, string[], string]> = [
      ["traffic", ["traffic-"], publicDb()],
      ["parking", ["parking-"], publicDb()],
      ["air-quality", ["esp8266-"], publicDb()],
      ["energy", ["meter-", "dsmr-", "tasmota-"], personalDb()],
      ["devices", ["traffic-", "parking-", "esp8266-", "a84041"], publicDb()],
    ];
    for (const [name, prefixes, database] of cases) {
      const dashboard: Dashboard = dashboards[name];
      const ids = devicesOf(prefixes).map((d) => d.id);
      expect(await variable(dashboard, "district", {}, database), name).toEqual(districtsOf(ids));
      const district = districtsOf(ids)[0] ?? "";
      expect(await variable(dashboard, "device", { district: [district] }, database), name).toEqual(
        ids.filter((id) => districtOf.get(id) === district).sort(),
      );
    }
  });

  it("traffic: the week by hour sums each local hour of the last four weeks, empty hours as 0", async () => {
    const traffic = dashboards.traffic as Dashboard;
    const series = await panel(traffic, 4, {});
    const rows = seriesRows(series);
    const readings = await raw(`SELECT "vehicle_count" FROM "traffic"`);
    const perHour = new Map<number, number>();
    for (const r of readings) {
      const hour = Math.floor(Number(r.time) / HOUR) * HOUR;
      perHour.set(hour, (perHour.get(hour) ?? 0) + Number(r.vehicle_count));
    }
    // Four weeks of hours (672, one more where the range starts inside an hour), each at a local full hour.
    expect(rows.length).toBeGreaterThanOrEqual(28 * 24);
    expect(rows.length).toBeLessThanOrEqual(28 * 24 + 1);
    const minutes = new Intl.DateTimeFormat("en", { timeZone: CITY_TIME_ZONE, minute: "2-digit", second: "2-digit" });
    for (const row of rows) expect(minutes.format(new Date(Number(row.time)))).toBe("00:00");
    const shown = new Map(rows.map((row) => [Number(row.time), Number(row.vehicles)]));
    for (const [hour, vehicles] of perHour) expect(shown.get(hour)).toBe(vehicles);
    expect(sum([...shown.values()])).toBe(sum([...perHour.values()]));
  });

  /** Each group's bays' means per interval, from the readings stored: what occupancy per site or district averages. */
  async function bayMeans(groupOf: (device: string) => string | undefined) {
    const readings = await raw(`SELECT "occupied" FROM "parking" GROUP BY "device"`);
    const expected = new Map<string, Map<number, number[]>>();
    for (const [device, rows] of byDevice(readings)) {
      const group = groupOf(device);
      if (group === undefined) continue;
      for (const [bucket, inBucket] of Map.groupBy(rows, (r) => Math.floor(Number(r.time) / BUCKET) * BUCKET)) {
        const buckets = expected.get(group) ?? new Map<number, number[]>();
        buckets.set(bucket, [...(buckets.get(bucket) ?? []), mean(inBucket.map((r) => Number(r.occupied)))]);
        expected.set(group, buckets);
      }
    }
    return expected;
  }
  function expectOccupancy(
    series: Awaited<ReturnType<typeof panel>>,
    tag: string,
    expected: Map<string, Map<number, number[]>>,
  ) {
    expect(series.map((s) => s.tags?.[tag]).sort()).toEqual([...expected.keys()].sort());
    for (const s of series) {
      const buckets = expected.get(s.tags?.[tag] ?? "") ?? new Map();
      expect(s.values.map(([time]) => time)).toEqual([...buckets.keys()].sort((a, b) => a - b));
      for (const [time, occupancy] of s.values)
        expect(occupancy as number).toBeCloseTo(mean(buckets.get(time as number) ?? []) * 100, 9);
    }
  }
  /** Each group's bays whose last report was free. */
  async function freeBays(groupOf: (device: string) => string | undefined) {
    const readings = await raw(`SELECT last("occupied") AS "occupied" FROM "parking" GROUP BY "device"`);
    const free = new Map<string, number>();
    for (const r of readings) {
      const group = groupOf(String(r.device));
      if (group !== undefined) free.set(group, (free.get(group) ?? 0) + (r.occupied === 0 ? 1 : 0));
    }
    return Object.fromEntries(free);
  }
  const parking = () => dashboards.parking as Dashboard;
  const sites = () => [...new Set(siteOf.values())].sort();

  it("parking: the sites are the registry's car parks, narrowed by the district picked, and the bays by the site", async () => {
    expect(sites().length).toBeGreaterThan(1);
    expect(await variable(parking(), "site", {}, publicDb())).toEqual(sites());
    // A district with more than one car park, so that per site is not per district under another name.
    const sitesIn = Map.groupBy(sites(), (site) => districtOf.get(devices.find((d) => d.site === site)?.id ?? ""));
    const [district = "", inDistrict = []] = [...sitesIn].find(([, s]) => s.length > 1) ?? [];
    expect(inDistrict.length).toBeGreaterThan(1);
    expect(await variable(parking(), "site", { district: [district] }, publicDb())).toEqual(inDistrict.sort());
    const site = inDistrict[0] ?? "";
    expect(await variable(parking(), "device", { site: [site] }, publicDb())).toEqual(
      devices
        .filter((d) => d.site === site)
        .map((d) => d.id)
        .sort(),
    );
  });

  it("parking: occupancy per district is the mean of its bays' means, in percent", async () => {
    expectOccupancy(await panel(parking(), 1, {}), "district", await bayMeans((device) => districtOf.get(device)));
  });

  it("parking: free spaces now counts the bays whose last report was free, per district", async () => {
    const series = await panel(parking(), 2, {});
    expect(Object.fromEntries(seriesRows(series).map((row) => [row.district, row.free]))).toEqual(
      await freeBays((device) => districtOf.get(device)),
    );
  });

  it("parking: occupancy per car park is the mean of its bays' means, in percent, for the sites picked", async () => {
    const expected = await bayMeans((device) => siteOf.get(device));
    expect([...expected.keys()].sort()).toEqual(sites());
    expectOccupancy(await panel(parking(), 3, {}), "site", expected);
    const [first = "", second = ""] = sites();
    const picked = await panel(parking(), 3, { site: [first, second] });
    expectOccupancy(picked, "site", new Map([...expected].filter(([site]) => site === first || site === second)));
  });

  it("parking: free spaces now counts the bays whose last report was free, per car park", async () => {
    const series = await panel(parking(), 4, {});
    const free = await freeBays((device) => siteOf.get(device));
    expect(Object.keys(free).sort()).toEqual(sites());
    expect(Object.fromEntries(seriesRows(series).map((row) => [row.site, row.free]))).toEqual(free);
  });

  const airQuality = () => dashboards["air-quality"] as Dashboard;
  /** Each station's mean of `field` per day of the city. */
  async function dailyMeans(field: string) {
    const day = new Intl.DateTimeFormat("en-CA", { timeZone: CITY_TIME_ZONE });
    const readings = await raw(`SELECT "${field}" FROM "air" WHERE "${field}" > -1000 GROUP BY "device"`);
    const result: Record<string, Record<string, number>> = {};
    for (const [device, rows] of byDevice(readings))
      result[device] = Object.fromEntries(
        [...Map.groupBy(rows, (r) => day.format(new Date(Number(r.time))))].map(([d, inDay]) => [
          d,
          mean(inDay.map((r) => Number(r[field]))),
        ]),
      );
    return result;
  }

  it("air quality: PM10 and PM2.5 daily means per station, each day from the city's midnight", async () => {
    const day = new Intl.DateTimeFormat("en-CA", { timeZone: CITY_TIME_ZONE });
    const midnight = new Intl.DateTimeFormat("en", {
      timeZone: CITY_TIME_ZONE,
      hour: "2-digit",
      minute: "2-digit",
      hourCycle: "h23",
    });
    for (const [id, field] of [
      [1, "pm10"],
      [3, "pm2_5"],
    ] as const) {
      const series = await panel(airQuality(), id, {});
      const expected = await dailyMeans(field);
      expect(Object.keys(expected)).toHaveLength(2);
      const shown: Record<string, Record<string, number>> = {};
      for (const row of seriesRows(series)) {
        const at = new Date(Number(row.time));
        expect(midnight.format(at)).toBe("00:00");
        shown[String(row.device)] = { ...shown[String(row.device)], [day.format(at)]: row[field] as number };
      }
      expect(Object.keys(shown).sort()).toEqual(Object.keys(expected).sort());
      for (const [device, days] of Object.entries(expected))
        for (const [d, value] of Object.entries(days)) expect(shown[device]?.[d]).toBeCloseTo(value, 9);
    }
  });

  it("air quality: days above the PM10 daily limit picked, per station", async () => {
    const expected = await dailyMeans("pm10");
    const means = Object.values(expected).flatMap((days) => Object.values(days));
    // A limit between the stations' days, so some count and some do not, whatever the simulated weather.
    const limit = (Math.min(...means) + Math.max(...means)) / 2;
    expect(Math.max(...means)).toBeGreaterThan(Math.min(...means));
    const series = await panel(airQuality(), 2, { pm10_limit: limit.toFixed(6) });
    const above = Object.fromEntries(
      Object.entries(expected)
        .map(([device, days]) => [device, Object.values(days).filter((m) => m > Number(limit.toFixed(6))).length])
        .filter(([, n]) => (n as number) > 0),
    );
    expect(Object.fromEntries(seriesRows(series).map((row) => [row.device, row.days]))).toEqual(above);
    const none = await panel(airQuality(), 2, { pm10_limit: String(Math.ceil(Math.max(...means)) + 1) });
    expect(none).toEqual([]);
    // The default is the limit in force, and the variable offers 2030's too.
    const pm10Limit = airQuality().templating.list.find((v) => v.name === "pm10_limit");
    expect(pm10Limit?.type === "custom" ? [pm10Limit.current.value, pm10Limit.query] : []).toEqual(["50", "50,45"]);
  });

  it("air quality: the mean over the range, temperature and humidity per station", async () => {
    const readings = await raw(`SELECT "pm10", "pm2_5", "temperature", "humidity" FROM "air" GROUP BY "device"`);
    const meanOf = (rows: Row[], field: string) => mean(rows.map((r) => Number(r[field])));
    const overall = seriesRows(await panel(airQuality(), 4, {}));
    for (const [device, rows] of byDevice(readings)) {
      const row = overall.find((r) => r.device === device);
      expect(row?.pm10).toBeCloseTo(meanOf(rows, "pm10"), 9);
      expect(row?.pm2_5).toBeCloseTo(meanOf(rows, "pm2_5"), 9);
    }
    for (const [id, field] of [
      [5, "temperature"],
      [6, "humidity"],
    ] as const) {
      const series = await panel(airQuality(), id, {});
      for (const [device, rows] of byDevice(readings)) {
        const shown = series.find((s) => s.tags?.device === device);
        const buckets = Map.groupBy(rows, (r) => Math.floor(Number(r.time) / BUCKET) * BUCKET);
        expect(shown?.values.map(([time]) => time)).toEqual([...buckets.keys()].sort((a, b) => a - b));
        for (const [time, value] of shown?.values ?? [])
          expect(value as number).toBeCloseTo(meanOf(buckets.get(time as number) ?? [], field), 9);
      }
    }
  });

  const energy = () => dashboards.energy as Dashboard;
  const meterReadings = () =>
    raw(`SELECT "active_power", "active_import", "active_export" FROM "energy" GROUP BY "device"`, personalDb());

  it("energy: the load curve per district sums its meters' mean power in each interval", async () => {
    const readings = await meterReadings();
    const expected = new Map<string, Map<number, number>>();
    for (const [device, rows] of byDevice(readings))
      for (const [bucket, inBucket] of Map.groupBy(rows, (r) => Math.floor(Number(r.time) / BUCKET) * BUCKET)) {
        const district = districtOf.get(device) ?? "";
        const buckets = expected.get(district) ?? new Map<number, number>();
        buckets.set(bucket, (buckets.get(bucket) ?? 0) + mean(inBucket.map((r) => Number(r.active_power))));
        expected.set(district, buckets);
      }
    const series = await panel(energy(), 1, {}, { database: personalDb() });
    expect(series.map((s) => s.tags?.district).sort()).toEqual([...expected.keys()].sort());
    for (const s of series) {
      const buckets = expected.get(s.tags?.district ?? "") ?? new Map();
      expect(s.values.map(([time]) => time)).toEqual([...buckets.keys()].sort((a, b) => a - b));
      for (const [time, power] of s.values) expect(power as number).toBeCloseTo(buckets.get(time as number) ?? 0, 9);
    }
  });

  it("energy: import and export per district sum the rise of its meters' registers, a fall counting nothing", async () => {
    const readings = await meterReadings();
    const rose = new Map<string, { import: number; export: number }>();
    for (const [device, rows] of byDevice(readings)) {
      const district = districtOf.get(device) ?? "";
      // Each interval's last reading; the rise from one interval with a reading to the next.
      const rises = (field: string) => {
        const last = [
          ...Map.groupBy(
            rows.filter((r) => r[field] !== null),
            (r) => Math.floor(Number(r.time) / SECOND),
          ),
        ]
          .sort(([a], [b]) => a - b)
          .map(([, inBucket]) => Number(inBucket.at(-1)?.[field]));
        return last.slice(1).map((value, i) => value - (last[i] ?? 0));
      };
      // A register that fell (a meter exchanged, or simulated anew) gives no value for that interval.
      const [imports, exports] = [rises("active_import"), rises("active_export")].map((r) => r.filter((x) => x >= 0));
      if (!imports || !exports || imports.length + exports.length === 0) continue;
      const total = rose.get(district) ?? { import: 0, export: 0 };
      total.import += sum(imports);
      total.export += sum(exports);
      rose.set(district, total);
    }
    // Second by second: the whole-second meters report each second, so every meter has intervals to compare.
    const rows = seriesRows(await panel(energy(), 2, {}, { database: personalDb(), interval: "1s" }));
    const shown = new Map<string, { import: number; export: number }>();
    for (const row of rows) {
      const total = shown.get(String(row.district)) ?? { import: 0, export: 0 };
      total.import += Number(row.import ?? 0);
      total.export += Number(row.export ?? 0);
      shown.set(String(row.district), total);
    }
    expect([...shown.keys()].sort()).toEqual([...rose.keys()].sort());
    for (const [district, total] of rose) {
      expect(shown.get(district)?.import, district).toBeCloseTo(total.import, 6);
      expect(shown.get(district)?.export, district).toBeCloseTo(total.export, 6);
    }
    expect(rose.size).toBeGreaterThan(0);
  });

  /** The devices target A lists that target B does not: the rows Grafana's transformations keep. */
  async function silent(dashboard: Dashboard, id: number, database: string) {
    const values = { silence: `${Math.round(Date.now() - silentSince)}ms` };
    const seen = seriesRows(await panel(dashboard, id, values, { database, refId: "A" }));
    const recent = seriesRows(await panel(dashboard, id, values, { database, refId: "B" }));
    const recentIds = new Set(recent.map((r) => String(r.device)));
    return {
      seen: seen.map((r) => String(r.device)).sort(),
      silent: seen
        .map((r) => String(r.device))
        .filter((d) => !recentIds.has(d))
        .sort(),
    };
  }

  it("energy: meters that stopped reporting are those silent since the first run", async () => {
    const meters = devicesOf(["meter-", "dsmr-", "tasmota-"]).map((d) => d.id);
    expect(await silent(energy(), 3, personalDb())).toEqual({
      seen: [...meters].sort(),
      silent: devicesOf(["dsmr-", "tasmota-"])
        .map((d) => d.id)
        .sort(),
    });
  });

  const devicesDashboard = () => dashboards.devices as Dashboard;

  it("devices: last seen is each device's latest message, per family", async () => {
    const families = [
      ["A", "traffic", "vehicle_count"],
      ["B", "parking", "occupied"],
      ["C", "air", "temperature"],
      ["D", "water", "level"],
    ] as const;
    for (const [refId, measurement, field] of families) {
      const shown = seriesRows(await panel(devicesDashboard(), 1, {}, { refId }));
      const latest = await raw(`SELECT last("${field}") FROM "${measurement}" GROUP BY "device"`);
      expect(latest.length, measurement).toBeGreaterThan(0);
      expect(Object.fromEntries(shown.map((r) => [r.device, r.time])), measurement).toEqual(
        Object.fromEntries(latest.map((r) => [r.device, r.time])),
      );
    }
  });

  it("devices: battery and radio quality per device", async () => {
    const battery = await raw(
      `SELECT last("battery_voltage") AS "voltage", last("battery") AS "charge" FROM "device" GROUP BY "device"`,
    );
    const voltage = seriesRows(await panel(devicesDashboard(), 3, {}));
    expect(voltage.map((r) => r.device).sort()).toEqual(
      devicesOf(["parking-"])
        .map((d) => d.id)
        .sort(),
    );
    for (const row of voltage) {
      expect(row.voltage).toBe(battery.find((b) => b.device === row.device)?.voltage);
      expect(row.voltage as number).toBeGreaterThan(3);
    }
    const charge = seriesRows(await panel(devicesDashboard(), 4, {}));
    expect(charge.map((r) => r.device)).toEqual(devicesOf(["a84041"]).map((d) => d.id));
    expect(charge[0]?.charge).toBe(battery.find((b) => b.device === charge[0]?.device)?.charge);

    const radio = await raw(`SELECT "rssi", "snr" FROM "radio" GROUP BY "device"`);
    const radioDevices = devicesOf(["parking-", "esp8266-", "a84041"])
      .map((d) => d.id)
      .sort();
    for (const [id, field] of [
      [2, "rssi"],
      [5, "snr"],
    ] as const) {
      const series = await panel(devicesDashboard(), id, {});
      const expected = [...byDevice(radio.filter((r) => r[field] !== null))];
      expect(series.map((s) => s.tags?.device).sort(), field).toEqual(expected.map(([d]) => d).sort());
      if (field === "rssi") expect(series.map((s) => s.tags?.device).sort()).toEqual(radioDevices);
      for (const [device, rows] of expected) {
        const buckets = Map.groupBy(rows, (r) => Math.floor(Number(r.time) / BUCKET) * BUCKET);
        const shown = series.find((s) => s.tags?.device === device);
        for (const [time, value] of shown?.values ?? [])
          expect(value as number).toBeCloseTo(
            mean((buckets.get(time as number) ?? []).map((r) => Number(r[field]))),
            9,
          );
      }
    }
  });

  it("devices: silent are the devices seen in the range but not within the silence picked", async () => {
    const panels = devicesDashboard().panels.filter((p) => p.transformations?.some((t) => t.id === "filterByValue"));
    const prefixes = { traffic: ["traffic-"], parking: ["parking-"], air: ["esp8266-"], water: ["a84041"] };
    expect(panels).toHaveLength(4);
    for (const [i, [family, familyPrefixes]] of Object.entries(prefixes).entries()) {
      const ids = devicesOf(familyPrefixes)
        .map((d) => d.id)
        .sort();
      expect(await silent(devicesDashboard(), panels[i]?.id ?? 0, publicDb()), family).toEqual({
        seen: ids,
        silent: family === "traffic" ? [] : ids,
      });
    }
  });
});

/** A Grafana relative time (`1h`, `28d`) in ms. */
function duration(text: string): number {
  const match = /^(\d+)([smhdw])$/.exec(text);
  if (!match) throw new Error(`not a duration: ${text}`);
  const unit = { s: 1000, m: 60_000, h: HOUR, d: 24 * HOUR, w: 7 * 24 * HOUR }[match[2] as "s"];
  return Number(match[1]) * unit;
}
