import { parseEnv } from "@stadtfluss/config";
import {
  type InfluxReadSettings,
  influxReadEnv,
  influxReadEnvChecks,
  influxReadSettingsFrom,
} from "@stadtfluss/influx";
import { z } from "zod";

const auditEnv = z.object({ ...influxReadEnv.shape }).check(...influxReadEnvChecks);

/** Where to read: INFLUX_URL, INFLUX_TOKEN, and INFLUX_DATABASE or the writer's INFLUX_BUCKET. */
export function loadConfig(environment: Readonly<Record<string, string | undefined>>): InfluxReadSettings {
  return influxReadSettingsFrom(parseEnv(auditEnv, environment));
}
