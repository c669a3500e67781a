import { parseEnv } from "@stadtfluss/config";
import { ConfigError } from "@stadtfluss/errors";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import {
  influxEnv,
  influxReadEnv,
  influxReadEnvChecks,
  influxReadSettingsFrom,
  influxSettingsFrom,
} from "./settings.ts";

const readEnv = z.object({ ...influxReadEnv.shape }).check(...influxReadEnvChecks);
const read = (environment: Record<string, string>) => influxReadSettingsFrom(parseEnv(readEnv, environment));

function problemsOf(fn: () => unknown): readonly string[] {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error("expected a ConfigError");
}

describe("read-only InfluxDB settings", () => {
  it("need no bucket when the database is named", () => {
    expect(read({ INFLUX_URL: "http://influx:8086", INFLUX_DATABASE: "stadtfluss" })).toEqual({
      url: "http://influx:8086",
      database: "stadtfluss",
    });
  });

  it("take the database from the writer's bucket, as the writer does", () => {
    expect(read({ INFLUX_URL: "http://influx:8086", INFLUX_BUCKET: "stadtfluss/autogen" }).database).toBe("stadtfluss");
    const writer = influxSettingsFrom(
      parseEnv(influxEnv, { INFLUX_URL: "http://influx:8086", INFLUX_BUCKET: "stadtfluss/autogen" }),
    );
    expect(writer.database).toBe("stadtfluss");
  });

  it("name the missing database with every other problem", () => {
    expect(problemsOf(() => read({}))).toEqual([
      "INFLUX_URL: is required but not set",
      expect.stringMatching(/^INFLUX_BUCKET: is required but not set \(or INFLUX_DATABASE/),
    ]);
  });
});
