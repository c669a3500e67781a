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

/** A step of Grafana's data transformations (`joinByField`, `groupBy`, …), run in the browser after the queries. */
export interface Transformation {
  readonly id: string;
  readonly options: Readonly<Record<string, unknown>>;
}

/** Colours from a base upwards: `value: null` is the base step. */
export interface Thresholds {
  readonly mode: "absolute";
  readonly steps: ReadonlyArray<{ readonly color: string; readonly value: number | null }>;
}

export interface FieldDefaults {
  readonly unit?: string;
  readonly min?: number;
  readonly max?: number;
  readonly decimals?: number;
  readonly thresholds?: Thresholds;
  readonly color?: { readonly mode: string };
  readonly custom?: Readonly<Record<string, unknown>>;
}

export interface Panel<Target = InfluxQLTarget> {
  readonly id: number;
  readonly type: "timeseries" | "stat" | "table" | "bargauge";
  readonly title: string;
  readonly description?: string;
  readonly gridPos: { readonly x: number; readonly y: number; readonly w: number; readonly h: number };
  readonly datasource: DataSourceRef;
  readonly targets: readonly Target[];
  readonly fieldConfig: { readonly defaults: FieldDefaults; readonly overrides: readonly [] };
  readonly options?: Readonly<Record<string, unknown>>;
  readonly transformations?: readonly Transformation[];
  /** A time range of the panel's own instead of the dashboard's, relative to now: `1h`. */
  readonly timeFrom?: string;
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

/** A variable whose values are listed in the dashboard itself: a threshold a user picks or types. */
export interface CustomVariable {
  readonly name: string;
  readonly label: string;
  readonly description?: string;
  readonly type: "custom";
  /** The values offered, comma-separated. */
  readonly query: string;
  readonly multi: false;
  readonly includeAll: false;
  readonly current: { readonly text: string; readonly value: string };
  readonly options: ReadonlyArray<{ readonly text: string; readonly value: string; readonly selected: boolean }>;
}

export type Variable = QueryVariable | CustomVariable;

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
  readonly templating: { readonly list: readonly Variable[] };
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

/** A variable offering `values`, the first picked: a limit or threshold a user may change on the dashboard. */
export function customVariable(
  name: string,
  label: string,
  values: readonly string[],
  description?: string,
): CustomVariable {
  const [first = ""] = values;
  return {
    name,
    label,
    ...(description === undefined ? {} : { description }),
    type: "custom",
    query: values.join(","),
    multi: false,
    includeAll: false,
    current: { text: first, value: first },
    options: values.map((value) => ({ text: value, value, selected: value === first })),
  };
}

/** The district and device variables every dashboard has, over the tags of `measurement` (of all, if none). */
export function districtAndDevice(measurement: string | undefined, deviceLabel: string): readonly QueryVariable[] {
  const from = measurement === undefined ? "" : ` FROM "${measurement}"`;
  return [
    tagVariable("district", "Stadtteil", `SHOW TAG VALUES${from} WITH KEY = "district"`),
    tagVariable("device", deviceLabel, `SHOW TAG VALUES${from} WITH KEY = "device" WHERE "district" =~ /^$district$/`),
  ];
}

/** The condition on the district and device variables and the time range, for a query's WHERE. */
export const SELECTED = `"district" =~ /^$district$/ AND "device" =~ /^$device$/ AND $timeFilter`;

export interface PanelOptions {
  readonly id: number;
  readonly type?: Panel["type"];
  readonly title: string;
  readonly description?: string;
  readonly gridPos: Panel["gridPos"];
  /** One InfluxQL query per target, refIds A, B, … in order. */
  readonly queries: readonly string[];
  readonly format?: InfluxQLTarget["resultFormat"];
  readonly alias?: string;
  readonly defaults?: FieldDefaults;
  readonly options?: Readonly<Record<string, unknown>>;
  readonly transformations?: readonly Transformation[];
  readonly timeFrom?: string;
  readonly datasource?: DataSourceRef;
}

/** A panel of InfluxQL queries against one data source (the tenant's raw observations unless named). */
export function influxPanel(options: PanelOptions): Panel {
  const datasource = options.datasource ?? DATASOURCE.raw;
  return {
    id: options.id,
    type: options.type ?? "timeseries",
    title: options.title,
    ...(options.description === undefined ? {} : { description: options.description }),
    gridPos: options.gridPos,
    datasource,
    targets: options.queries.map((query, i) => ({
      refId: String.fromCharCode(65 + i),
      datasource,
      rawQuery: true,
      query,
      resultFormat: options.format ?? "time_series",
      ...(options.alias === undefined ? {} : { alias: options.alias }),
    })),
    fieldConfig: { defaults: options.defaults ?? {}, overrides: [] },
    ...(options.options === undefined ? {} : { options: options.options }),
    ...(options.transformations === undefined ? {} : { transformations: options.transformations }),
    ...(options.timeFrom === undefined ? {} : { timeFrom: options.timeFrom }),
  };
}

/**
 * The city's time zone: daily means and the hours of the week are counted in it
 * (InfluxQL `tz()`), so a day runs from local midnight to midnight, also across
 * the change to and from summer time.
 */
export const CITY_TIME_ZONE = "Europe/Berlin";
