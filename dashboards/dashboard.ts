/**
 * The part of Grafana's dashboard JSON model the dashboards here use, typed so
 * that a misspelt key fails the type check. Grafana fills in `id` and `version`
 * itself; the provisioner sets `uid` and the tags that mark it as owned.
 */

/** The InfluxDB data sources every tenant's organisation gets, under the same uids in each. */
export const DATASOURCE = {
  /** The tenant's raw observations: `<tenant>_public` (municipality) or `<tenant>_personal` (utility). */
  raw: { type: "influxdb", uid: "stadtfluss-influxdb" },
  /** The tenant's roll-ups: `<tenant>_open`. */
  open: { type: "influxdb", uid: "stadtfluss-influxdb-open" },
  /** The pipeline's own metrics, only in the organisations the declaration gives it (grafana.prometheus). */
  prometheus: { type: "prometheus", uid: "stadtfluss-prometheus" },
} as const;

export type DataSourceRef = (typeof DATASOURCE)[keyof typeof DATASOURCE];

export interface InfluxQLTarget {
  readonly refId: string;
  readonly datasource: DataSourceRef;
  /** Raw InfluxQL: `$timeFilter`, `$__interval` and the dashboard's variables are filled in by Grafana. */
  readonly rawQuery: true;
  readonly query: string;
  readonly resultFormat: "time_series" | "table";
  /** Grafana's legend for each series, from its tags: `$tag_device`. */
  readonly alias?: string;
}

/** A PromQL query: `$__rate_interval` and the dashboard's variables are filled in by Grafana. */
export interface PromQLTarget {
  readonly refId: string;
  readonly datasource: typeof DATASOURCE.prometheus;
  readonly editorMode: "code";
  readonly expr: string;
  /** Grafana's legend for each series, from its labels: `{{worker}}`. */
  readonly legendFormat: string;
  /** An instant query (the value now) rather than a range over the dashboard's time. */
  readonly instant: boolean;
  readonly range: boolean;
}

export interface Panel<Target = InfluxQLTarget> {
  readonly id: number;
  readonly type: "timeseries" | "stat" | "table" | "bargauge";
  readonly title: string;
  readonly description?: string;
  readonly gridPos: { readonly x: number; readonly y: number; readonly w: number; readonly h: number };
  readonly datasource: DataSourceRef;
  readonly targets: readonly Target[];
  readonly fieldConfig: { readonly defaults: { readonly unit?: string }; readonly overrides: readonly [] };
  readonly options?: Readonly<Record<string, unknown>>;
}

/** A query variable: its values are the InfluxDB tag values the query lists. */
export interface QueryVariable {
  readonly name: string;
  readonly label: string;
  readonly type: "query";
  readonly datasource: DataSourceRef;
  readonly query: string;
  readonly multi: true;
  readonly includeAll: true;
  /** `.*` rather than every value spelt out: stays short with hundreds of devices. */
  readonly allValue: ".*";
  readonly refresh: 2;
  readonly current: Readonly<Record<string, never>>;
}

export interface Dashboard<Target = InfluxQLTarget> {
  readonly uid: string;
  readonly title: string;
  readonly description: string;
  readonly tags: readonly string[];
  readonly timezone: "browser" | "utc" | string;
  readonly schemaVersion: number;
  readonly editable: boolean;
  readonly refresh: string;
  readonly time: { readonly from: string; readonly to: string };
  readonly templating: { readonly list: readonly QueryVariable[] };
  readonly panels: readonly Panel<Target>[];
}

/** Grafana 11.4's schema version: a model saved with it is not migrated, so no field changes on the server. */
export const SCHEMA_VERSION = 39;

/** A query variable over an InfluxDB tag (or, with `datasource` Prometheus, `label_values(...)`). */
export function tagVariable(
  name: string,
  label: string,
  query: string,
  datasource: DataSourceRef = DATASOURCE.raw,
): QueryVariable {
  return {
    name,
    label,
    type: "query",
    datasource,
    query,
    multi: true,
    includeAll: true,
    allValue: ".*",
    refresh: 2,
    current: {},
  };
}
