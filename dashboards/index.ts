import { airQuality } from "./air-quality.ts";
import type { Dashboard } from "./dashboard.ts";
import { devices } from "./devices.ts";
import { energy } from "./energy.ts";
import { parking } from "./parking.ts";
import { traffic } from "./traffic.ts";

export { type AirQualityLimits, airQualityDashboard, EU_LIMITS_2008, EU_LIMITS_2030 } from "./air-quality.ts";
export { CITY_TIME_ZONE, DATASOURCE, type Dashboard, type Panel, SCHEMA_VERSION } from "./dashboard.ts";
export { type FilledVariables, fillVariables } from "./influxql-variables.ts";

/** Every dashboard a declaration may place into a folder, by the name it uses there. */
export const dashboards: Readonly<Record<string, Dashboard>> = {
  traffic,
  parking,
  "air-quality": airQuality,
  energy,
  devices,
};
