import { parseEnv } from "@stadtfluss/config";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { influxReadEnv, influxReadEnvChecks, influxReadSettingsFrom } from "./settings.ts";

const readEnv = z.object({ ...influxReadEnv.shape }).check(...influxReadEnvChecks);
const read = (environment: Record<string, string>) => influxReadSettingsFrom(parseEnv(readEnv, environment));

describe("read-only InfluxDB settings", () => {
  it("need no bucket when the database is named", () => {
    expect(read({ INFLUX_URL: "http://influx:8086", INFLUX_DATABASE: "stadtfluss" })).toEqual({
      url: "http://influx:8086",
      database: "stadtfluss",
    });
  });

  it("take the database from the writer's bucket, as the writer does (database/retention-policy on 1.8)", () => {
    expect(read({ INFLUX_URL: "http://influx:8086", INFLUX_BUCKET: "stadtfluss/autogen" }).database).toBe("stadtfluss");
  });

  it("name the missing database with every other problem", () => {
    expect(() => read({})).toThrow(
      expect.objectContaining({
        problems: [
          "INFLUX_URL: is required but not set",
          expect.stringMatching(/^INFLUX_BUCKET: is required but not set \(or INFLUX_DATABASE/),
        ],
      }),
    );
  });
});
