import { readFileSync, writeFileSync } from "node:fs";
import { influxQL, seriesRows } from "@stadtfluss/influx";
import { loadRegistry } from "@stadtfluss/registry";
import { mqttSubscriptions } from "@stadtfluss/simulator/device-catalogue";
import { startWorker, uniqueName } from "@stadtfluss/testing";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { parse, stringify } from "yaml";
import { alerts } from "../dashboards/alerts.ts";
import { fillVariables } from "../dashboards/index.ts";
import { desiredAlerting } from "../services/grafana-provisioner/src/desired-alerting.ts";
import { fleetRegistry } from "./fleet.ts";
import { type Pipeline, startPipeline } from "./pipeline.ts";

const servers = inject("servers");
type Row = Record<string, unknown>;

/** The first run sends all of these; the second only parking and air sensors, so the classroom sensors fall silent. */
const FLEET = {
  SIM_TRAFFIC_COUNTERS: "0",
  SIM_HOUSEHOLD_METERS: "0",
  SIM_DSMR_METERS: "0",
  SIM_TASMOTA_METERS: "0",
  SIM_WATER_GAUGES: "0",
  SIM_WEATHER_STATIONS: "0",
  SIM_ENVIRONMENT_SENSORS: "2",
  SIM_PARKING_SENSORS: "3",
  SIM_AIR_SENSORS: "3",
};
/** The reporting interval the test declares for the classroom, parking and air sensors' types. */
const INTERVAL = "10s";
const INTERVAL_MS = 10_000;
const mean = (values: readonly number[]) => values.reduce((a, b) => a + b, 0) / values.length;

describe("every InfluxQL alert rule's query against the InfluxDB the simulator filled through the pipeline", () => {
  const prefix = uniqueName("alerts");
  const tenant = uniqueName("t");
  const fleet = { SIM_TENANT: tenant, SIM_TOPIC_PREFIX: prefix, ...FLEET };
  const { registryFile, devices } = fleetRegistry(fleet);
  // The simulator's registry with the intervals a city would declare for these types.
  const registry = parse(readFileSync(registryFile, "utf8")) as { deviceTypes: Array<Record<string, unknown>> };
  for (const type of registry.deviceTypes) {
    if (type.id === "classroom-climate-sensor" || type.id === "parking-sensor") type.interval = INTERVAL;
    // Air sensors name their kinds in the payload (no fields): the kind they always send tells the rule.
    if (type.id === "airrohr") Object.assign(type, { interval: INTERVAL, reports: "air.pm10" });
  }
  writeFileSync(registryFile, stringify(registry));
  const registered = loadRegistry(registryFile).registry.devicesOf(tenant);
  const ids = (type: string) => registered.filter((d) => d.type?.id === type).map((d) => d.id);
  const [classroom, parking, air] = ["classroom-climate-sensor", "parking-sensor", "airrohr"].map(ids) as [
    string[],
    string[],
    string[],
  ];

  let pipeline: Pipeline;
  /** When the first run ended, and the second: the rules are evaluated at these instants. */
  let firstEnded = 0;
  let secondEnded = 0;
  const publicDb = () => pipeline.databases[0] as string;

  async function simulate(counts: Record<string, string>, messages: number, rate: number) {
    const simulator = await startWorker(
      "simulator",
      {
        MQTT_URL: servers.mqttUrl,
        SIM_RATE: String(rate),
        SIM_COUNT: String(messages),
        SIM_SEED: "11",
        ...fleet,
        ...counts,
      },
      { waitForStart: false },
    );
    expect((await simulator.exited).code).toBe(0);
  }
  /** Polls until every device of `expected` has a point at or after `since`, or fails naming what it saw. */
  async function waitForDevices(expected: readonly string[], since: number) {
    const deadline = Date.now() + 60_000;
    let rows: Row[] = [];
    while (Date.now() < deadline) {
      rows = await pipeline.query(`SELECT count(*) FROM /.*/ WHERE time >= ${since}ms GROUP BY "device"`, [publicDb()]);
      if (expected.every((id) => rows.some((row) => row.device === id))) return;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    throw new Error(`not stored in time: ${JSON.stringify(rows).slice(0, 500)}`);
  }

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
        normalizer: { NORMALIZER_REGISTRY: registryFile },
      },
      { tenant },
    );
    const firstStarted = Date.now();
    await simulate({}, 90, 20);
    firstEnded = Date.now();
    await waitForDevices(
      devices.map((d) => d.id),
      firstStarted,
    );
    const secondStarted = Date.now();
    // 60 messages at 5 a second: the second run lasts longer than the interval.
    await simulate({ SIM_ENVIRONMENT_SENSORS: "0" }, 60, 5);
    secondEnded = Date.now();
    expect(secondEnded - INTERVAL_MS).toBeGreaterThan(firstEnded);
    await waitForDevices([...parking, ...air], secondStarted);
  }, 240_000);
  afterAll(() => pipeline?.stop());

  /** The tenant's rules as the provisioner makes them, in one folder. */
  function rules(pm10DailyMeanLimit?: number) {
    const problems: string[] = [];
    const alerting = desiredAlerting(
      {
        tenant,
        reader: "planners",
        teams: [],
        departments: [
          {
            uid: "umwelt",
            title: "Umwelt",
            permissions: [],
            dashboards: [],
            alerts: ["device-silent", "pm10-daily-mean"],
          },
        ],
        ...(pm10DailyMeanLimit === undefined ? {} : { alerting: { pm10DailyMeanLimit, contactPoints: [] } }),
      },
      registered,
      ["stadtfluss-influxdb", "stadtfluss-influxdb-open"],
      alerts,
      problems,
    );
    expect(problems).toEqual([]);
    return alerting.rules;
  }
  type Query = { relativeTimeRange: { from: number }; model: Record<string, unknown> };
  /** Query A of the rule as Grafana runs it when it evaluates at `at`: `$timeFilter` is the rule's relative range. */
  async function evaluate(model: Readonly<Record<string, unknown>>, at: number) {
    const [query] = model.data as Query[];
    if (!query) throw new Error("rule without a query");
    const from = new Date(at - query.relativeTimeRange.from * 1000);
    const text = fillVariables(String(query.model.query), { from, to: new Date(at), interval: "1m", values: {} });
    const [series = []] = await influxQL({ url: servers.influxUrl, database: publicDb() }, text);
    return series;
  }
  /** The rule's threshold: its condition C over the value B reduced from A. */
  function fires(model: Readonly<Record<string, unknown>>, value: number): boolean {
    const condition = (model.data as Query[])[2]?.model.conditions as Array<{
      evaluator: { type: "gt" | "lt"; params: [number] };
    }>;
    const { type, params } = condition[0]?.evaluator ?? { type: "gt", params: [Number.NaN] };
    return type === "gt" ? value > params[0] : value < params[0];
  }

  it("watches every device whose type declares an interval: each answers a count while it sends, and nothing once it has been silent for the interval", async () => {
    const silent = rules().filter((r) => r.model.labels && (r.model.labels as Row).alert === "device-silent");
    const watched = silent.map((r) => (r.model.labels as Record<string, string>).device).sort();
    expect(watched).toEqual([...classroom, ...parking, ...air].sort());
    expect(watched.length).toBe(8);
    for (const rule of silent) {
      const device = String((rule.model.labels as Record<string, string>).device);
      const sending = await evaluate(rule.model, firstEnded);
      expect(sending, device).toHaveLength(1);
      const count = Number(seriesRows(sending)[0]?.count);
      expect(count, device).toBeGreaterThan(0);
      expect(fires(rule.model, count), device).toBe(false);

      const later = await evaluate(rule.model, secondEnded);
      if (parking.includes(device) || air.includes(device)) {
        expect(later, device).toHaveLength(1);
        expect(Number(seriesRows(later)[0]?.count), device).toBeGreaterThan(0);
      } else {
        // No series at all: the rule alerts through its noDataState, as it is meant to.
        expect(later, device).toEqual([]);
        expect(rule.model.noDataState).toBe("Alerting");
      }
    }
  });

  it("averages PM10 per station over the last 24 hours, with its device and district, and fires above the configured limit", async () => {
    const raw = await pipeline.query(`SELECT "pm10", "district" FROM "air" WHERE "pm10" > -1 GROUP BY "device"`, [
      publicDb(),
    ]);
    const expected = new Map<string, { mean: number; district: string }>();
    for (const id of air) {
      const rows = raw.filter((r) => r.device === id);
      expect(rows.length, id).toBeGreaterThan(0);
      expected.set(id, { mean: mean(rows.map((r) => Number(r.pm10))), district: String(rows[0]?.district) });
    }
    const means = [...expected.values()].map((e) => e.mean).sort((a, b) => a - b);
    // A limit between the stations' means: some are above it and some not.
    const limit = ((means[0] ?? 0) + (means.at(-1) ?? 0)) / 2;
    for (const configured of [undefined, limit]) {
      const [rule] = rules(configured).filter((r) => (r.model.labels as Row).alert === "pm10-daily-mean");
      if (!rule) throw new Error("no PM10 rule");
      const series = await evaluate(rule.model, secondEnded);
      const got = Object.fromEntries(
        series.map((s) => [
          String(s.tags?.device),
          { mean: Number(seriesRows([s])[0]?.pm10), district: String(s.tags?.district) },
        ]),
      );
      expect(Object.keys(got).sort()).toEqual([...air].sort());
      for (const [id, want] of expected) {
        expect(got[id]?.district, id).toBe(want.district);
        expect(got[id]?.mean, id).toBeCloseTo(want.mean, 6);
        expect(fires(rule.model, got[id]?.mean ?? Number.NaN), id).toBe(want.mean > (configured ?? 50));
      }
    }
    expect(means.filter((m) => m > limit).length).toBeGreaterThan(0);
    expect(means.filter((m) => m <= limit).length).toBeGreaterThan(0);
  });
});
