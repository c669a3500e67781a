import {
  CITY_TIME_ZONE,
  DATASOURCE,
  type Dashboard,
  influxPanel,
  type Panel,
  SCHEMA_VERSION,
  tagVariable,
} from "./dashboard.ts";

/**
 * Traffic for the planners: vehicles per counter and per district, mean
 * speeds, and the week by hour, from the `traffic` measurement (fields `vehicle_count`,
 * `average_speed`; tags `device`, `district`) of the tenant's raw database.
 */

/**
 * The week by hour: InfluxQL cannot group by the hour of the week, so the query
 * sums vehicles per local hour over four weeks (`tz()` keeps the hours local
 * across summer time) and Grafana's transformations do the rest in the browser:
 * the time is formatted as the weekday and a copy of it as the hour (both in the
 * city's time zone, wherever the viewer sits), the
 * hours are averaged per weekday and hour, and the 7 × 24 matrix is shown as a
 * table coloured by value. A roll-up with an hour-of-week tag would do the same in
 * the aggregator at the cost of a new series per hour of the week and a second
 * definition of "week"; 4 × 168 rows a dashboard fetches are cheap.
 */
const WEEK_BY_HOUR = [
  {
    id: "calculateField",
    options: { mode: "binary", binary: { left: "Time", operator: "+", right: "0" }, alias: "hour" },
  },
  { id: "convertFieldType", options: { conversions: [{ targetField: "hour", destinationType: "time" }] } },
  { id: "formatTime", options: { timeField: "Time", outputFormat: "ddd", timezone: CITY_TIME_ZONE } },
  { id: "formatTime", options: { timeField: "hour", outputFormat: "HH", timezone: CITY_TIME_ZONE } },
  {
    id: "groupBy",
    options: {
      fields: {
        Time: { aggregations: [], operation: "groupby" },
        hour: { aggregations: [], operation: "groupby" },
        vehicles: { aggregations: ["mean"], operation: "aggregate" },
      },
    },
  },
  { id: "groupingToMatrix", options: { columnField: "Time", rowField: "hour", valueField: "vehicles (mean)" } },
] as const;

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
    influxPanel({
      id: 4,
      type: "table",
      title: "Woche nach Stunde",
      description: "Mittlere Fahrzeuge je Wochentag und Stunde (Ortszeit) der letzten vier Wochen",
      gridPos: { x: 12, y: 9, w: 12, h: 12 },
      timeFrom: "28d",
      format: "table",
      queries: [
        `SELECT sum("vehicle_count") AS "vehicles" FROM "traffic" WHERE ${selected} GROUP BY time(1h) fill(0) tz('${CITY_TIME_ZONE}')`,
      ],
      transformations: WEEK_BY_HOUR,
      defaults: {
        unit: "short",
        color: { mode: "continuous-GrYlRd" },
        custom: { cellOptions: { type: "color-background" } },
      },
    }),
  ],
};
