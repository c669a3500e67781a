import type { Dashboard } from "./dashboard.ts";
import { traffic } from "./traffic.ts";

export { DATASOURCE, type Dashboard, type Panel, SCHEMA_VERSION } from "./dashboard.ts";
export { type FilledVariables, fillVariables } from "./influxql-variables.ts";

/** Every dashboard a declaration may place into a folder, by the name it uses there. */
export const dashboards: Readonly<Record<string, Dashboard>> = { traffic };
