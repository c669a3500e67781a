import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError } from "@stadtfluss/errors";
import { describe, expect, it } from "vitest";
import { loadConfig } from "./config.ts";

function problemsOf(environment: Record<string, string>): readonly string[] {
  try {
    loadConfig(environment);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error("expected a ConfigError");
}

describe("influx-writer configuration", () => {
  it("reads the InfluxDB token from INFLUX_TOKEN_FILE and keeps it out of the printed config", () => {
    const dir = mkdtempSync(join(tmpdir(), "sf-writer-"));
    writeFileSync(join(dir, "token"), "tok-e51f\n");
    const config = loadConfig({
      KAFKA_BROKERS: "k:9092",
      INFLUX_URL: "https://influx.stadt.example",
      INFLUX_TOKEN_FILE: join(dir, "token"),
      INFLUX_BUCKET: "stadtfluss/autogen",
    });
    expect(config.influx.token?.reveal()).toBe("tok-e51f");
    expect(JSON.stringify(config)).not.toContain("tok-e51f");
    // InfluxDB 1.8's bucket is database/retention-policy; InfluxQL names the database.
    expect(config.influx.database).toBe("stadtfluss");
  });

  it("takes the token from INFLUX_TOKEN as well", () => {
    const config = loadConfig({
      KAFKA_BROKERS: "k:9092",
      INFLUX_URL: "http://i:8086",
      INFLUX_TOKEN: "t",
      INFLUX_BUCKET: "b",
    });
    expect(config.influx.token?.reveal()).toBe("t");
  });

  it("runs below the bridge and without gzip unless told otherwise, and names a bad priority", () => {
    const base = { KAFKA_BROKERS: "k:9092", INFLUX_URL: "http://i:8086", INFLUX_BUCKET: "b" };
    const defaults = loadConfig(base);
    expect(defaults.ops.nice).toBe(10);
    expect(defaults.influx.gzip).toBe(false);
    const set = loadConfig({ ...base, PROCESS_NICE: "0", INFLUX_GZIP: "true" });
    expect([set.ops.nice, set.influx.gzip]).toEqual([0, true]);
    expect(() => loadConfig({ ...base, PROCESS_NICE: "20" })).toThrow(/PROCESS_NICE/);
  });

  it("names a Kafka CA file that cannot be read and SASL given in part, with every other problem", () => {
    expect(
      problemsOf({
        KAFKA_BROKERS: "k:9092",
        KAFKA_SSL_CA_FILE: "/nonexistent/kafka-ca.pem",
        KAFKA_SASL_MECHANISM: "scram-sha-512",
        INFLUX_URL: "http://i:8086",
      }),
    ).toEqual([
      "KAFKA_SSL_CA_FILE: cannot read /nonexistent/kafka-ca.pem (ENOENT)",
      "INFLUX_BUCKET: is required but not set (or WRITER_DECLARATION; the one bucket, or the declaration naming the databases)",
      "KAFKA_SASL_USERNAME: is required with KAFKA_SASL_MECHANISM (SASL takes KAFKA_SASL_MECHANISM, KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD, or none of them)",
      "KAFKA_SASL_PASSWORD: is required with KAFKA_SASL_MECHANISM (SASL takes KAFKA_SASL_MECHANISM, KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD, or none of them)",
    ]);
  });

  it("refuses credentials inside INFLUX_URL and points to INFLUX_TOKEN_FILE, without printing them", () => {
    const found = problemsOf({
      KAFKA_BROKERS: "k:9092",
      INFLUX_URL: "http://admin:pw-in-url-42@i:8086",
      INFLUX_BUCKET: "b",
    });
    expect(found).toEqual([
      "INFLUX_URL: must not hold credentials (user:password@); give them in INFLUX_TOKEN or INFLUX_TOKEN_FILE",
    ]);
  });

  it("refuses SASL credentials without a mechanism instead of connecting without them", () => {
    const dir = mkdtempSync(join(tmpdir(), "sf-writer-"));
    writeFileSync(join(dir, "sasl"), "pw-77\n");
    const base = { KAFKA_BROKERS: "k:9092", INFLUX_URL: "http://i:8086", INFLUX_BUCKET: "b" };
    expect(problemsOf({ ...base, KAFKA_SASL_USERNAME: "u", KAFKA_SASL_PASSWORD_FILE: join(dir, "sasl") })).toEqual([
      "KAFKA_SASL_MECHANISM: is required with KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD (SASL takes KAFKA_SASL_MECHANISM, KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD, or none of them)",
    ]);
  });

  it("writes per tenant and class with WRITER_DECLARATION, which needs no bucket and excludes one", () => {
    const base = { KAFKA_BROKERS: "k:9092", INFLUX_URL: "http://i:8086" };
    const routed = loadConfig({ ...base, WRITER_DECLARATION: "/etc/stadtfluss/registry" });
    expect(routed.declaration).toEqual({ path: "/etc/stadtfluss/registry", reloadMs: 5_000 });
    expect(routed.influx.bucket).toBeUndefined();
    expect(loadConfig({ ...base, INFLUX_BUCKET: "b" }).declaration).toBeUndefined();
    expect(problemsOf({ ...base, WRITER_DECLARATION: "/r", INFLUX_BUCKET: "b", INFLUX_DATABASE: "d" })).toEqual([
      "WRITER_DECLARATION: excludes INFLUX_BUCKET: the declaration names every database; set either INFLUX_BUCKET (one bucket for every tenant, the layout before tenants) or WRITER_DECLARATION (a database per tenant and class)",
      "WRITER_DECLARATION: excludes INFLUX_DATABASE: the declaration names every database; set either INFLUX_BUCKET (one bucket for every tenant, the layout before tenants) or WRITER_DECLARATION (a database per tenant and class)",
    ]);
    expect(problemsOf({ ...base, WRITER_DECLARATION: "/r", WRITER_DECLARATION_RELOAD_MS: "5" })).toEqual([
      "WRITER_DECLARATION_RELOAD_MS: Too small: expected number to be >=100",
    ]);
  });
});
