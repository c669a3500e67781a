import { createDatabase, dropDatabase, influxQL, seriesRows } from "@stadtfluss/influx";
import { databaseName } from "@stadtfluss/registry";
import { uniqueName } from "@stadtfluss/testing";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { dashboards, fillVariables } from "../../../dashboards/index.ts";

const servers = inject("servers");
const MINUTE = 60_000;

/** Three counters in two districts, five minutes each, the minutes relative to the run. */
const counters = [
  { device: "zaehler-1", district: "altstadt", vehicles: [10, 12, 8, 15, 11], speed: [42, 40, 38, 45, 41] },
  { device: "zaehler-2", district: "altstadt", vehicles: [3, 4, 2, 5, 6], speed: [28, 30, 31, 27, 29] },
  { device: "zaehler-3", district: "nord", vehicles: [20, 22, 19, 25, 24], speed: [50, 52, 49, 51, 48] },
];
const sum = (values: readonly number[]) => values.reduce((a, b) => a + b, 0);

describe("the traffic dashboard's queries against the real InfluxDB", () => {
  const tenant = uniqueName("dash").toLowerCase();
  const settings = { url: servers.influxUrl, database: databaseName(tenant, "public") };
  const start = Math.floor(Date.now() / MINUTE) * MINUTE - 30 * MINUTE;
  const window = { from: new Date(start - MINUTE), to: new Date(start + 10 * MINUTE), interval: "1m" };

  beforeAll(async () => {
    await createDatabase(settings);
    const lines = counters.flatMap((c) =>
      c.vehicles.map(
        (vehicles, i) =>
          `traffic,tenant=${tenant},device=${c.device},district=${c.district},privacy=public,source=test vehicle_count=${vehicles},average_speed=${c.speed[i]} ${start + i * MINUTE}`,
      ),
    );
    const written = await fetch(
      `${servers.influxUrl}/write?${new URLSearchParams({ db: settings.database, precision: "ms" })}`,
      { method: "POST", body: lines.join("\n") },
    );
    expect(written.status).toBe(204);
  });
  afterAll(() => dropDatabase(settings));

  const traffic = dashboards.traffic;
  if (!traffic) throw new Error("no traffic dashboard");
  const panel = (id: number) => {
    const found = traffic.panels.find((p) => p.id === id);
    if (!found?.targets[0]) throw new Error(`no panel ${id}`);
    return found.targets[0].query;
  };
  const variable = (name: string) => {
    const found = traffic.templating.list.find((v) => v.name === name);
    if (!found) throw new Error(`no variable ${name}`);
    return found.query;
  };
  /** Each series of the panel's query by its tag, with the values of its column over the window. */
  async function run(query: string, values: Record<string, readonly string[]>, tag: string, column: string) {
    const [series = []] = await influxQL(settings, fillVariables(query, { ...window, values }));
    const result: Record<string, number[]> = {};
    for (const row of seriesRows(series)) {
      const key = String(row[tag]);
      result[key] = [...(result[key] ?? []), row[column] as number];
    }
    return result;
  }

  it("lists the districts, and the counters of the districts picked", async () => {
    const [districts = []] = await influxQL(settings, fillVariables(variable("district"), { ...window, values: {} }));
    expect(seriesRows(districts).map((r) => r.value)).toEqual(["altstadt", "nord"]);
    const [devices = []] = await influxQL(
      settings,
      fillVariables(variable("device"), { ...window, values: { district: ["altstadt"] } }),
    );
    expect(seriesRows(devices).map((r) => r.value)).toEqual(["zaehler-1", "zaehler-2"]);
  });

  it("shows vehicles per counter, for All and for the counters picked", async () => {
    const all = await run(panel(1), { district: [".*"], device: [".*"] }, "device", "vehicles");
    expect(all).toEqual(Object.fromEntries(counters.map((c) => [c.device, c.vehicles])));
    const picked = await run(panel(1), { district: [".*"], device: ["zaehler-1", "zaehler-3"] }, "device", "vehicles");
    expect(Object.keys(picked)).toEqual(["zaehler-1", "zaehler-3"]);
  });

  it("shows vehicles per district, each minute the sum of its counters", async () => {
    const byDistrict = await run(panel(2), { district: [".*"], device: [".*"] }, "district", "vehicles");
    const altstadt = counters.filter((c) => c.district === "altstadt");
    expect(byDistrict).toEqual({
      altstadt: [0, 1, 2, 3, 4].map((i) => sum(altstadt.map((c) => c.vehicles[i] ?? 0))),
      nord: counters[2]?.vehicles,
    });
    const nordOnly = await run(panel(2), { district: ["nord"], device: [".*"] }, "district", "vehicles");
    expect(Object.keys(nordOnly)).toEqual(["nord"]);
  });

  it("shows the mean speed per counter", async () => {
    const speeds = await run(panel(3), { district: ["altstadt"], device: [".*"] }, "device", "speed");
    expect(speeds).toEqual({ "zaehler-1": counters[0]?.speed, "zaehler-2": counters[1]?.speed });
  });
});
