import { DATASOURCE, type Dashboard, type Panel, SCHEMA_VERSION, tagVariable } from "./dashboard.ts";

/**
 * Traffic for the planners: vehicles per counter and per district, and mean
 * speeds, from the `traffic` measurement (fields `vehicle_count`,
 * `average_speed`; tags `device`, `district`) of the tenant's raw database.
 */

const selected = `"district" =~ /^$district$/ AND "device" =~ /^$device$/ AND $timeFilter`;

function timeseries(id: number, title: string, query: string, unit: string, alias: string, y: number, x = 0): Panel {
  return {
    id,
    type: "timeseries",
    title,
    gridPos: { x, y, w: 12, h: 9 },
    datasource: DATASOURCE.raw,
    targets: [{ refId: "A", datasource: DATASOURCE.raw, rawQuery: true, query, resultFormat: "time_series", alias }],
    fieldConfig: { defaults: { unit }, overrides: [] },
  };
}

export const traffic: Dashboard = {
  uid: "stadtfluss-traffic",
  title: "Verkehr",
  description: "Vehicles per counter and district, and mean speeds, from the city's traffic counters",
  tags: ["traffic"],
  timezone: "browser",
  schemaVersion: SCHEMA_VERSION,
  editable: true,
  refresh: "1m",
  time: { from: "now-24h", to: "now" },
  templating: {
    list: [
      tagVariable("district", "Stadtteil", `SHOW TAG VALUES FROM "traffic" WITH KEY = "district"`),
      tagVariable(
        "device",
        "Zählstelle",
        `SHOW TAG VALUES FROM "traffic" WITH KEY = "device" WHERE "district" =~ /^$district$/`,
      ),
    ],
  },
  panels: [
    timeseries(
      1,
      "Fahrzeuge je Zählstelle",
      `SELECT sum("vehicle_count") AS "vehicles" FROM "traffic" WHERE ${selected} GROUP BY time($__interval), "device" fill(none)`,
      "short",
      "$tag_device",
      0,
    ),
    timeseries(
      2,
      "Fahrzeuge je Stadtteil",
      `SELECT sum("vehicle_count") AS "vehicles" FROM "traffic" WHERE ${selected} GROUP BY time($__interval), "district" fill(none)`,
      "short",
      "$tag_district",
      0,
      12,
    ),
    timeseries(
      3,
      "Mittlere Geschwindigkeit je Zählstelle",
      `SELECT mean("average_speed") AS "speed" FROM "traffic" WHERE ${selected} GROUP BY time($__interval), "device" fill(none)`,
      "velocitykmh",
      "$tag_device",
      9,
    ),
  ],
};
