import { ConfigError } from "@stadtfluss/errors";
import { describe, expect, it } from "vitest";
import { loadConfig } from "./config.ts";

const required = { KAFKA_BROKERS: "localhost:9092" };

function problemsOf(environment: Record<string, string>): readonly string[] {
  try {
    loadConfig({ ...required, ...environment });
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error("expected a ConfigError");
}

describe("loadConfig", () => {
  it("runs without a registry, in Berlin time, with 5 minutes ahead and 7 days back allowed", () => {
    const config = loadConfig(required);
    expect(config.registry).toBeUndefined();
    expect(config.unknownDevices).toBe("dead-letter");
    expect(config.timeZone).toBe("Europe/Berlin");
    expect(config.useGatewayTime).toBe(false);
    expect(config.timePolicy).toEqual({ maxFutureMs: 300_000, maxAgeMs: 604_800_000 });
  });

  it("reads the registry, its reload interval, the policies and human durations", () => {
    const config = loadConfig({
      ...required,
      NORMALIZER_REGISTRY: "/etc/stadtfluss/registry",
      NORMALIZER_REGISTRY_RELOAD_MS: "1000",
      NORMALIZER_UNKNOWN_DEVICES: "quarantine",
      NORMALIZER_TIME_ZONE: "Europe/Vienna",
      NORMALIZER_USE_GATEWAY_TIME: "true",
      NORMALIZER_MAX_FUTURE: "30s",
      NORMALIZER_MAX_AGE: "36h",
    });
    expect(config.registry).toEqual({ path: "/etc/stadtfluss/registry", reloadMs: 1000 });
    expect(config.unknownDevices).toBe("quarantine");
    expect(config.timeZone).toBe("Europe/Vienna");
    expect(config.useGatewayTime).toBe(true);
    expect(config.timePolicy).toEqual({ maxFutureMs: 30_000, maxAgeMs: 129_600_000 });
  });

  it("produces observation v1 until told that every writer reads v2", () => {
    expect(loadConfig(required).observationVersion).toBe(1);
    expect(loadConfig({ ...required, NORMALIZER_OBSERVATION_VERSION: "2" }).observationVersion).toBe(2);
    expect(loadConfig({ ...required, NORMALIZER_OBSERVATION_VERSION: "3" }).observationVersion).toBe(3);
    expect(loadConfig({ ...required, NORMALIZER_OBSERVATION_VERSION: "4" }).observationVersion).toBe(4);
    expect(problemsOf({ NORMALIZER_OBSERVATION_VERSION: "5" })).toEqual([
      "NORMALIZER_OBSERVATION_VERSION: must be 1, 2, 3 or 4",
    ]);
  });

  it("names every bad policy setting at once", () => {
    const problems = problemsOf({
      NORMALIZER_UNKNOWN_DEVICES: "drop",
      NORMALIZER_TIME_ZONE: "Europe/Musterstadt",
      NORMALIZER_MAX_FUTURE: "5",
      NORMALIZER_MAX_AGE: "a week",
    });
    expect(problems).toEqual([
      "NORMALIZER_UNKNOWN_DEVICES: must be dead-letter or quarantine",
      "NORMALIZER_TIME_ZONE: must be an IANA time zone such as Europe/Berlin",
      "NORMALIZER_MAX_FUTURE: must be a duration such as 5m, 36h or 7d (units ms, s, m, h, d, w)",
      "NORMALIZER_MAX_AGE: must be a duration such as 5m, 36h or 7d (units ms, s, m, h, d, w)",
    ]);
  });

  it("refuses a fixed offset as time zone, since it ignores summer time", () => {
    expect(problemsOf({ NORMALIZER_TIME_ZONE: "+01:00" })).toEqual([
      "NORMALIZER_TIME_ZONE: must be an IANA time zone such as Europe/Berlin",
    ]);
  });

  it("recognises redeliveries among 100,000 messages within an hour unless told otherwise", () => {
    expect(loadConfig(required).redeliveries).toEqual({ memory: 100_000, windowMs: 3_600_000 });
    const config = loadConfig({
      ...required,
      NORMALIZER_REDELIVERY_MEMORY: "250000",
      NORMALIZER_REDELIVERY_WINDOW: "6h",
    });
    expect(config.redeliveries).toEqual({ memory: 250_000, windowMs: 21_600_000 });
    expect(problemsOf({ NORMALIZER_REDELIVERY_MEMORY: "10", NORMALIZER_REDELIVERY_WINDOW: "1" })).toHaveLength(2);
  });

  it("bounds the readings of one message at 1,000 unless told otherwise, and refuses a bound that is no count", () => {
    expect(loadConfig(required).maxReadings).toBe(1_000);
    expect(loadConfig({ ...required, NORMALIZER_MAX_READINGS: "50" }).maxReadings).toBe(50);
    for (const bad of ["0", "many", "1000000"]) {
      expect(problemsOf({ NORMALIZER_MAX_READINGS: bad }).join("\n")).toMatch(/^NORMALIZER_MAX_READINGS: /m);
    }
  });

  it("fetches whatever Kafka has unless told to wait for more bytes, and refuses a minimum beyond 1 MiB", () => {
    expect(loadConfig(required).kafka.fetchMinBytes).toBe(1);
    expect(loadConfig({ ...required, KAFKA_FETCH_MIN_BYTES: "65536" }).kafka.fetchMinBytes).toBe(65_536);
    for (const bad of ["0", "2000000", "64KB"]) {
      expect(problemsOf({ KAFKA_FETCH_MIN_BYTES: bad }).join("\n")).toMatch(/^KAFKA_FETCH_MIN_BYTES: /m);
    }
  });
});
