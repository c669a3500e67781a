import { parseEnv } from "@stadtfluss/config";
import { type InfluxSettings, influxEnv, influxSettingsFrom } from "@stadtfluss/influx";

/** Where to read: the same InfluxDB settings as the writer's (INFLUX_URL, INFLUX_TOKEN, INFLUX_BUCKET). */
export function loadConfig(environment: Readonly<Record<string, string | undefined>>): InfluxSettings {
  return influxSettingsFrom(parseEnv(influxEnv, environment, { secretFiles: ["INFLUX_TOKEN"] }));
}
