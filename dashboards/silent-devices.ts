import { influxPanel, type Panel, type Transformation } from "./dashboard.ts";

/**
 * Devices seen in the dashboard's time range that sent nothing within `$silence`.
 * A silent device returns no series at all, so InfluxQL alone cannot list it, and
 * it cannot subtract a time from now() in a SELECT either. Target A is each
 * device's last reading in the range, target B the same within `$silence`; Grafana
 * joins them by device and keeps the rows B has no value for.
 */
export function silentDevicesPanel(options: {
  readonly id: number;
  readonly title: string;
  readonly measurement: string;
  /** A field every device of the measurement sends with each message. */
  readonly field: string;
  readonly gridPos: Panel["gridPos"];
}): Panel {
  const { measurement, field } = options;
  const devices = `"district" =~ /^$district$/ AND "device" =~ /^$device$/`;
  const last = (when: string, alias: string) =>
    `SELECT last("${field}") AS "${alias}" FROM "${measurement}" WHERE ${devices} AND ${when} GROUP BY "device"`;
  return influxPanel({
    id: options.id,
    type: "table",
    title: options.title,
    description: "Gesehen im gewählten Zeitraum, aber nicht innerhalb der Stille-Schwelle ($silence)",
    gridPos: options.gridPos,
    format: "table",
    queries: [last("$timeFilter", "last_seen"), last("time > now() - $silence", "recent")],
    transformations: SILENT_ROWS,
  });
}

/** Join A and B by device; keep a row only where B, the reading within `$silence`, is missing. */
const SILENT_ROWS: readonly Transformation[] = [
  { id: "joinByField", options: { byField: "device", mode: "outer" } },
  {
    id: "filterByValue",
    options: {
      type: "include",
      match: "all",
      filters: [{ fieldName: "recent", config: { id: "isNull", options: {} } }],
    },
  },
  { id: "organize", options: { excludeByName: { recent: true } } },
];
