import { airQuality } from "./air-quality.ts";
import type { Dashboard, InfluxQLTarget, PromQLTarget } from "./dashboard.ts";
import { devices } from "./devices.ts";
import { energy } from "./energy.ts";
import { parking } from "./parking.ts";
import { pipeline } from "./pipeline.ts";
import { traffic } from "./traffic.ts";

export { type AirQualityLimits, airQualityDashboard, EU_LIMITS_2008, EU_LIMITS_2030 } from "./air-quality.ts";
export {
  CITY_TIME_ZONE,
  DATASOURCE,
  type Dashboard,
  type Panel,
  type PromQLTarget,
  SCHEMA_VERSION,
} from "./dashboard.ts";
export { type FilledVariables, fillVariables } from "./influxql-variables.ts";
export { type FilledPromQLVariables, fillPromQLVariables } from "./promql-variables.ts";

/** A dashboard of InfluxQL panels (the city's data) or of PromQL panels (the pipeline's own metrics). */
export type AnyDashboard = Dashboard<InfluxQLTarget> | Dashboard<PromQLTarget>;

/** Every dashboard a declaration may place into a folder, by the name it uses there. */
export const dashboards = {
  traffic,
  parking,
  "air-quality": airQuality,
  energy,
  devices,
  pipeline,
} as const satisfies Readonly<Record<string, AnyDashboard>>;
