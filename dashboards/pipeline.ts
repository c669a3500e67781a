import { DATASOURCE, type Dashboard, type Panel, type PromQLTarget, SCHEMA_VERSION, tagVariable } from "./dashboard.ts";

/**
 * The pipeline for the city's operators, in PromQL on the metrics every worker
 * serves on `/metrics` (packages/telemetry): messages in and out per worker
 * (the pipeline's stages: mqtt-bridge, normalizer, influx-writer, aggregator,
 * simulator), dead letters by worker and the stage inside it where a record
 * stopped (decode, convert, validate, enrich, parse, write, ...), failures by
 * error class, and consumer lag. `$job` is the scrape job, so that one Grafana
 * shows one pipeline at a time.
 */

const job = `job=~"$job"`;

function panel(
  id: number,
  type: Panel["type"],
  title: string,
  description: string,
  expr: string,
  legendFormat: string,
  unit: string,
  gridPos: Panel["gridPos"],
): Panel<PromQLTarget> {
  // A bar gauge shows the value now; the time series the rate over the dashboard's time.
  const instant = type !== "timeseries";
  return {
    id,
    type,
    title,
    description,
    gridPos,
    datasource: DATASOURCE.prometheus,
    targets: [
      {
        refId: "A",
        datasource: DATASOURCE.prometheus,
        editorMode: "code",
        expr,
        legendFormat,
        instant,
        range: !instant,
      },
    ],
    fieldConfig: { defaults: { unit }, overrides: [] },
  };
}

export const pipeline: Dashboard<PromQLTarget> = {
  uid: "stadtfluss-pipeline",
  title: "Pipeline",
  description: "Messages per stage, dead letters and consumer lag of the Stadtfluss workers (Prometheus)",
  tags: ["pipeline"],
  timezone: "browser",
  schemaVersion: SCHEMA_VERSION,
  editable: true,
  refresh: "30s",
  time: { from: "now-6h", to: "now" },
  templating: {
    list: [tagVariable("job", "Scrape-Job", "label_values(stadtfluss_messages_in_total, job)", DATASOURCE.prometheus)],
  },
  panels: [
    panel(
      1,
      "timeseries",
      "Nachrichten herein je Stufe",
      "Messages each worker took in, per second",
      `sum by (worker) (rate(stadtfluss_messages_in_total{${job}}[$__rate_interval]))`,
      "{{worker}}",
      "cps",
      { x: 0, y: 0, w: 12, h: 9 },
    ),
    panel(
      2,
      "timeseries",
      "Nachrichten hinaus je Stufe und Ziel",
      "Messages each worker handed on and its sink acknowledged, per second, by topic (influxdb: written)",
      `sum by (worker, topic) (rate(stadtfluss_messages_out_total{${job}}[$__rate_interval]))`,
      "{{worker}} → {{topic}}",
      "cps",
      { x: 12, y: 0, w: 12, h: 9 },
    ),
    panel(
      3,
      "timeseries",
      "Dead Letters je Stufe",
      "Records sent to the dead-letter topic, by worker and the stage where they stopped; the reason is in each dead letter's __connect.errors.* headers",
      `sum by (worker, stage) (increase(stadtfluss_dead_letters_total{${job}}[$__rate_interval]))`,
      "{{worker}} {{stage}}",
      "short",
      { x: 0, y: 9, w: 12, h: 9 },
    ),
    panel(
      4,
      "bargauge",
      "Dead Letters seit Start je Stufe",
      "Dead letters since each worker started: also the first of a stage, which a rate cannot show",
      `sum by (worker, stage) (stadtfluss_dead_letters_total{${job}})`,
      "{{worker}} {{stage}}",
      "short",
      { x: 12, y: 9, w: 6, h: 9 },
    ),
    panel(
      5,
      "bargauge",
      "Fehler seit Start je Stufe und Fehlerklasse",
      "Failed records (dead letters and quarantined ones) since each worker started, by stage and error class",
      `sum by (worker, stage, error_class) (stadtfluss_messages_failed_total{${job}})`,
      "{{worker}} {{stage}} {{error_class}}",
      "short",
      { x: 18, y: 9, w: 6, h: 9 },
    ),
    panel(
      6,
      "timeseries",
      "Consumer-Lag",
      "Messages left in each topic after the batch a consumer just committed; growing: the stage falls behind",
      `sum by (worker, topic) (stadtfluss_consumer_lag_messages{${job}})`,
      "{{worker}} {{topic}}",
      "short",
      { x: 0, y: 18, w: 24, h: 9 },
    ),
  ],
};
