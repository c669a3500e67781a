import { createHash } from "node:crypto";
import { DATASOURCE } from "./dashboard.ts";

/**
 * Grafana-managed alert rules, typed like the dashboards: the part of
 * Grafana's alert rule model (provisioning API and file provisioning) the
 * rules here use. A declaration places a rule into a department's folder by
 * its name (`device-silent`); the provisioner adds the folder, the labels
 * `department` and `alert` (what notification policies match on) and its
 * ownership marks.
 */

/** The pipeline's own metrics: only in the organisations the declaration names (`grafana.prometheus`). */
export const PROMETHEUS = DATASOURCE.prometheus;

/** Grafana's server-side expressions (reduce, threshold) run on this pseudo data source. */
const EXPRESSIONS = "__expr__";

export interface AlertQuery {
  readonly refId: string;
  readonly datasourceUid: string;
  readonly queryType: "";
  /** Seconds before now: for InfluxQL the range `$timeFilter` stands for. */
  readonly relativeTimeRange: { readonly from: number; readonly to: number };
  readonly model: Readonly<Record<string, unknown>>;
}

export interface AlertRule {
  /** Starts with `stadtfluss-`, the provisioner's mark; at most 40 characters. */
  readonly uid: string;
  /** Unique within its folder (Grafana refuses a second rule of the same title there). */
  readonly title: string;
  readonly ruleGroup: string;
  /** The refId whose result decides. */
  readonly condition: string;
  readonly data: readonly AlertQuery[];
  readonly noDataState: "Alerting" | "NoData" | "OK";
  readonly execErrState: "Error" | "Alerting" | "OK";
  /** A Go duration: how long the condition must hold before the alert fires. */
  readonly for: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  readonly isPaused: false;
}

/** What a tenant's rules are made from: its registry and its thresholds. */
export interface AlertContext {
  /** The tenant's devices whose type declares a reporting interval, with where their readings are stored. */
  readonly devices: ReadonlyArray<{
    readonly id: string;
    readonly type: string;
    readonly intervalMs: number;
    /** The measurement and field of the type's first mapped kind: a report always writes it. */
    readonly measurement: string;
    readonly field: string;
  }>;
  /** µg/m³. */
  readonly pm10DailyMeanLimit: number;
}

export interface AlertDefinition {
  readonly description: string;
  /** The data sources its queries need (besides the expressions). */
  readonly dataSources: readonly string[];
  readonly rules: (context: AlertContext) => readonly AlertRule[];
}

const SECOND = 1000;

function influxQL(refId: string, query: string, seconds: number): AlertQuery {
  return {
    refId,
    datasourceUid: DATASOURCE.raw.uid,
    queryType: "",
    relativeTimeRange: { from: seconds, to: 0 },
    model: { refId, rawQuery: true, query, resultFormat: "time_series" },
  };
}

function promQL(refId: string, expr: string): AlertQuery {
  return {
    refId,
    datasourceUid: PROMETHEUS.uid,
    queryType: "",
    relativeTimeRange: { from: 600, to: 0 },
    model: { refId, expr, instant: true, range: false },
  };
}

/** The last value of each series of `of`: InfluxQL answers a series of points, a threshold wants one number. */
function reduceLast(refId: string, of: string): AlertQuery {
  return {
    refId,
    datasourceUid: EXPRESSIONS,
    queryType: "",
    relativeTimeRange: { from: 0, to: 0 },
    model: { refId, type: "reduce", expression: of, reducer: "last", settings: { mode: "dropNN" } },
  };
}

function threshold(refId: string, of: string, type: "gt" | "lt", value: number): AlertQuery {
  return {
    refId,
    datasourceUid: EXPRESSIONS,
    queryType: "",
    relativeTimeRange: { from: 0, to: 0 },
    model: { refId, type: "threshold", expression: of, conditions: [{ evaluator: { type, params: [value] } }] },
  };
}

/**
 * How many readings the device stored within `$timeFilter` (the rule's window, its
 * interval). Device ids are letters, digits and `. _ : @ -` only (the registry's
 * rule), so the id needs no escaping inside the quotes.
 */
export function silentDeviceQuery(device: {
  readonly id: string;
  readonly measurement: string;
  readonly field: string;
}) {
  return `SELECT count("${device.field}") FROM "${device.measurement}" WHERE "device" = '${device.id}' AND $timeFilter`;
}

/**
 * PM10 per station over the rule's window (the last 24 hours): a rolling daily
 * mean, so that the alert comes while the day is still running. The EU limit
 * counts calendar days in local time; the air-quality dashboard shows those.
 */
export const PM10_DAILY_MEAN_QUERY = `SELECT mean("pm10") AS "pm10" FROM "air" WHERE $timeFilter GROUP BY "device", "district"`;

/**
 * Messages sent to the dead-letter topic in the last 15 minutes, per worker and
 * stage. A worker's first dead letter starts its series at 1, where increase()
 * sees no increase: a series that did not exist 15 minutes before counts too.
 */
export const DEAD_LETTERS_RISING_PROMQL =
  "sum by (worker, stage) (increase(stadtfluss_dead_letters_total[15m])) > 0 or sum by (worker, stage) (stadtfluss_dead_letters_total unless stadtfluss_dead_letters_total offset 15m)";

/**
 * How fast each consumer's lag changes (messages per second), per worker and
 * topic, over 15 minutes. The gauge is set after each batch: a consumer that
 * takes in nothing at all sets it no more, which the pipeline dashboard's
 * throughput shows, not this rule.
 */
export const CONSUMER_LAG_GROWING_PROMQL = "sum by (worker, topic) (deriv(stadtfluss_consumer_lag_messages[15m]))";

const deviceSilent: AlertDefinition = {
  description: "a device of a type with a reporting interval has sent nothing for twice its interval",
  dataSources: [DATASOURCE.raw.uid],
  rules: (context) =>
    context.devices.map((device) => {
      const seconds = Math.ceil(device.intervalMs / SECOND);
      return {
        uid: `stadtfluss-silent-${createHash("sha256").update(device.id).digest("hex").slice(0, 20)}`,
        title: `Gerät ${device.id} sendet nicht`,
        ruleGroup: "Geräte",
        condition: "C",
        data: [influxQL("A", silentDeviceQuery(device), seconds), reduceLast("B", "A"), threshold("C", "B", "lt", 1)],
        // Deliberate: a silent device stores nothing, so its query returns no series at all
        // rather than a count of 0. No data is this rule's alarm, not a fault of the query.
        noDataState: "Alerting",
        execErrState: "Error",
        // One missed report (a lost radio packet) is tolerated: it fires after twice the interval.
        for: `${seconds}s`,
        labels: { device: device.id, device_type: device.type },
        annotations: {
          summary: `Gerät ${device.id} (${device.type}) hat seit mehr als ${seconds * 2} s nichts gesendet`,
        },
        isPaused: false,
      };
    }),
};

const pm10DailyMean: AlertDefinition = {
  description: "a station's PM10 mean over the last 24 hours is above the limit (EU: 50 µg/m³)",
  dataSources: [DATASOURCE.raw.uid],
  rules: (context) => [
    {
      uid: "stadtfluss-pm10-daily-mean",
      title: "PM10-Tagesmittel über dem Grenzwert",
      ruleGroup: "Luftqualität",
      condition: "C",
      data: [
        influxQL("A", PM10_DAILY_MEAN_QUERY, 86_400),
        reduceLast("B", "A"),
        threshold("C", "B", "gt", context.pm10DailyMeanLimit),
      ],
      // No station reporting is no air-quality alarm; `device-silent` is about silence.
      noDataState: "OK",
      execErrState: "Error",
      for: "0s",
      labels: {},
      annotations: {
        summary: `PM10 über 24 Stunden an {{ $labels.device }} über ${context.pm10DailyMeanLimit} µg/m³`,
      },
      isPaused: false,
    },
  ],
};

const deadLettersRising: AlertDefinition = {
  description: "a worker sent messages to the dead-letter topic in the last 15 minutes",
  dataSources: [PROMETHEUS.uid],
  rules: () => [
    {
      uid: "stadtfluss-dead-letters-rising",
      title: "Dead Letters steigen",
      ruleGroup: "Pipeline",
      condition: "C",
      data: [promQL("A", DEAD_LETTERS_RISING_PROMQL), threshold("C", "A", "gt", 0)],
      // A counter with labels has no series before its first dead letter.
      noDataState: "OK",
      execErrState: "Error",
      for: "0s",
      labels: {},
      annotations: {
        summary: "{{ $labels.worker }} schickt Nachrichten in die Dead-Letter-Queue ({{ $labels.stage }})",
      },
      isPaused: false,
    },
  ],
};

const consumerLagGrowing: AlertDefinition = {
  description: "a consumer's lag has been growing for 15 minutes",
  dataSources: [PROMETHEUS.uid],
  rules: () => [
    {
      uid: "stadtfluss-consumer-lag-growing",
      title: "Consumer-Lag wächst",
      ruleGroup: "Pipeline",
      condition: "C",
      data: [promQL("A", CONSUMER_LAG_GROWING_PROMQL), threshold("C", "A", "gt", 0)],
      noDataState: "OK",
      execErrState: "Error",
      // Lag rises and falls with every batch; only a steady rise is a backlog.
      for: "15m",
      labels: {},
      annotations: { summary: "{{ $labels.worker }} kommt mit {{ $labels.topic }} nicht hinterher" },
      isPaused: false,
    },
  ],
};

/** Every alert a declaration may place into a folder, by the name it uses there. */
export const alerts: Readonly<Record<string, AlertDefinition>> = {
  "device-silent": deviceSilent,
  "pm10-daily-mean": pm10DailyMean,
  "dead-letters-rising": deadLettersRising,
  "consumer-lag-growing": consumerLagGrowing,
};
