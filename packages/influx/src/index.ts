export { type InfluxQLSeries, influxQL } from "./influxql.ts";
export { measurementOf, observationToPoint, quantityOf } from "./observation-point.ts";
export {
  type CapacityLimit,
  CapacityRefusedError,
  ObservationWriter,
  type WriteOutcome,
} from "./observation-writer.ts";
export { type InfluxSettings, influxEnv, influxSettingsFrom } from "./settings.ts";
