export { createDatabase, dropDatabase } from "./database.ts";
export { type InfluxQLSeries, influxQL, quoteIdentifier, quoteString, seriesRows } from "./influxql.ts";
export { measurements, RUN_MARKER_MEASUREMENT } from "./measurements.ts";
export {
  METER_SERIAL_FIELD,
  measurementOf,
  type ObservationLine,
  observationsToLines,
  observationToLine,
  observationToPoint,
  quantityOf,
} from "./observation-point.ts";
export {
  type CapacityLimit,
  CapacityRefusedError,
  DatabaseNotFoundError,
  groupByDatabase,
  ObservationWriter,
  type RoutedPoint,
  type WriteOutcome,
} from "./observation-writer.ts";
export {
  type InfluxReadSettings,
  type InfluxSettings,
  type InfluxWriteSettings,
  influxEnv,
  influxReadEnv,
  influxReadEnvChecks,
  influxReadSettingsFrom,
  influxSettingsFrom,
} from "./settings.ts";
