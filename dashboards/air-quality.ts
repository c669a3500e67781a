import {
  CITY_TIME_ZONE,
  customVariable,
  type Dashboard,
  districtAndDevice,
  influxPanel,
  SCHEMA_VERSION,
  SELECTED,
  type Thresholds,
} from "./dashboard.ts";

/**
 * Air quality for the environment office, from the `air` measurement (fields
 * `pm10`, `pm2_5`, `temperature`, `humidity` in µg/m³, °C and %; tags `device`,
 * `district`), against the EU limit values for the protection of human health.
 */

/** Limit values in µg/m³, and how many days a year the daily one may be exceeded. */
export interface AirQualityLimits {
  readonly pm10Daily: number;
  readonly pm10DaysAllowed: number;
  readonly pm10Annual: number;
  readonly pm25Annual: number;
}

/** Directive 2008/50/EC, Annex XI and XIV: in force until the end of 2029. */
export const EU_LIMITS_2008: AirQualityLimits = { pm10Daily: 50, pm10DaysAllowed: 35, pm10Annual: 40, pm25Annual: 25 };

/**
 * Directive (EU) 2024/2881 (recast, OJ L 20.11.2024), Annex I, Table 1: to be met
 * from 1 January 2030 (PM2.5 also gets a daily limit of 25 µg/m³ on at most 18 days).
 */
export const EU_LIMITS_2030: AirQualityLimits = { pm10Daily: 45, pm10DaysAllowed: 18, pm10Annual: 20, pm25Annual: 10 };

const limitSteps = (limit: number): Thresholds => ({
  mode: "absolute",
  steps: [
    { color: "green", value: null },
    { color: "red", value: limit },
  ],
});

/** Daily means from local midnight to midnight, as the limit values are defined. */
const dailyMean = (field: string) =>
  `SELECT mean("${field}") AS "${field}" FROM "air" WHERE ${SELECTED} GROUP BY time(1d), "device" fill(none) tz('${CITY_TIME_ZONE}')`;

/**
 * The dashboard for `limits`: the lines drawn at the limits come from them, and the
 * daily limit the exceedance days count is a variable a user may switch between the
 * limits in force and those of 2030.
 */
export function airQualityDashboard(limits: AirQualityLimits = EU_LIMITS_2008): Dashboard {
  const later = EU_LIMITS_2030.pm10Daily;
  const dailyLimits = [...new Set([limits.pm10Daily, later])].map(String);
  return {
    uid: "stadtfluss-air-quality",
    title: "Luftqualität",
    description: "PM10 and PM2.5 against the EU limit values, temperature and humidity, from the air quality stations",
    tags: ["air-quality"],
    // Daily means are the city's days; the time axis shows them so.
    timezone: CITY_TIME_ZONE,
    schemaVersion: SCHEMA_VERSION,
    editable: true,
    refresh: "5m",
    time: { from: "now/y", to: "now" },
    templating: {
      list: [
        ...districtAndDevice("air", "Messstation"),
        customVariable(
          "pm10_limit",
          "PM10-Tagesgrenzwert (µg/m³)",
          dailyLimits,
          "Tagesmittel, das als Überschreitung zählt: 50 nach 2008/50/EG, 45 ab 2030 nach (EU) 2024/2881",
        ),
      ],
    },
    panels: [
      influxPanel({
        id: 1,
        title: "PM10 Tagesmittel",
        gridPos: { x: 0, y: 0, w: 12, h: 9 },
        queries: [dailyMean("pm10")],
        alias: "$tag_device",
        defaults: {
          unit: "conµgm3",
          thresholds: limitSteps(limits.pm10Daily),
          custom: { thresholdsStyle: { mode: "line" } },
        },
      }),
      influxPanel({
        id: 2,
        type: "bargauge",
        title: "Tage über dem PM10-Tagesgrenzwert",
        description: `Tage mit einem Tagesmittel über $pm10_limit µg/m³ im Zeitraum; erlaubt sind ${limits.pm10DaysAllowed} im Kalenderjahr`,
        gridPos: { x: 12, y: 0, w: 12, h: 9 },
        queries: [
          `SELECT count("pm10") AS "days" FROM (${dailyMean("pm10")}) WHERE "pm10" > $pm10_limit GROUP BY "device"`,
        ],
        alias: "$tag_device",
        defaults: { unit: "short", decimals: 0, min: 0, thresholds: limitSteps(limits.pm10DaysAllowed + 1) },
        options: { orientation: "horizontal", reduceOptions: { calcs: ["lastNotNull"], values: false } },
      }),
      influxPanel({
        id: 3,
        title: "PM2.5 Tagesmittel",
        gridPos: { x: 0, y: 9, w: 12, h: 9 },
        queries: [dailyMean("pm2_5")],
        alias: "$tag_device",
        defaults: {
          unit: "conµgm3",
          thresholds: limitSteps(limits.pm25Annual),
          custom: { thresholdsStyle: { mode: "line" } },
        },
      }),
      influxPanel({
        id: 4,
        type: "bargauge",
        title: "Mittelwert im Zeitraum",
        description: `Über ein Kalenderjahr (Zeitraum „dieses Jahr“) mit den Jahresgrenzwerten zu vergleichen: PM10 ${limits.pm10Annual}, PM2.5 ${limits.pm25Annual} µg/m³`,
        gridPos: { x: 12, y: 9, w: 12, h: 9 },
        queries: [
          `SELECT mean("pm10") AS "pm10", mean("pm2_5") AS "pm2_5" FROM "air" WHERE ${SELECTED} GROUP BY "device"`,
        ],
        alias: "$tag_device $col",
        defaults: { unit: "conµgm3", min: 0 },
        options: { orientation: "horizontal", reduceOptions: { calcs: ["lastNotNull"], values: false } },
      }),
      influxPanel({
        id: 5,
        title: "Temperatur",
        gridPos: { x: 0, y: 18, w: 12, h: 8 },
        queries: [
          `SELECT mean("temperature") AS "temperature" FROM "air" WHERE ${SELECTED} GROUP BY time($__interval), "device" fill(none)`,
        ],
        alias: "$tag_device",
        defaults: { unit: "celsius" },
      }),
      influxPanel({
        id: 6,
        title: "Relative Luftfeuchte",
        gridPos: { x: 12, y: 18, w: 12, h: 8 },
        queries: [
          `SELECT mean("humidity") AS "humidity" FROM "air" WHERE ${SELECTED} GROUP BY time($__interval), "device" fill(none)`,
        ],
        alias: "$tag_device",
        defaults: { unit: "humidity", min: 0, max: 100 },
      }),
    ],
  };
}

export const airQuality = airQualityDashboard();
