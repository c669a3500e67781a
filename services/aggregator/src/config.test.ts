import { ConfigError } from "@stadtfluss/errors";
import { describe, expect, it } from "vitest";
import { loadConfig } from "./config.ts";

const minimal = { KAFKA_BROKERS: "k:9092", INFLUX_URL: "http://i:8086", AGGREGATOR_DECLARATION: "registry" };

function problemsOf(environment: Record<string, string>): readonly string[] {
  try {
    loadConfig(environment);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error("expected a ConfigError");
}

describe("aggregator configuration", () => {
  it("defaults to hourly and daily roll-ups in Europe/Berlin, a lease topic under the prefix, and no short window", () => {
    const config = loadConfig({ ...minimal, KAFKA_TOPIC_PREFIX: "city." });
    expect(config.timeZone).toBe("Europe/Berlin");
    expect(config.schedules).toEqual({ hourly: "5 * * * *", daily: "15 * * * *" });
    expect(config.leaseTopic).toBe("city.aggregator-lease.v1");
    expect(config.handoverMs).toBeGreaterThan(config.timeoutMs);
    expect(config.privacy).toEqual({ minHouseholds: 5, dominanceCount: 2, dominancePercent: 85 });
    expect(config.run).toEqual({
      latenessMs: 3 * 3_600_000,
      catchUpMs: 7 * 86_400_000,
      percentile: 95,
      windowsPerStep: 24,
    });
  });

  it("takes a short window with its schedule for the local stack", () => {
    const config = loadConfig({
      ...minimal,
      AGGREGATOR_SHORT_WINDOW: "1m",
      AGGREGATOR_SHORT_SCHEDULE: "*/5 * * * * *",
    });
    expect(config.schedules.short).toEqual({ lengthMs: 60_000, schedule: "*/5 * * * * *" });
  });

  it("names every bad setting at once", () => {
    const problems = problemsOf({
      KAFKA_BROKERS: "k:9092",
      INFLUX_URL: "http://i:8086",
      AGGREGATOR_HOURLY_SCHEDULE: "every hour",
      AGGREGATOR_TIME_ZONE: "Mars/Olympus",
      AGGREGATOR_SHORT_WINDOW: "1500ms",
      AGGREGATOR_LATENESS: "3",
      INFLUX_TIMEOUT_MS: "5000",
      AGGREGATOR_HANDOVER_MS: "5000",
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        "AGGREGATOR_DECLARATION: is required but not set",
        expect.stringMatching(/^AGGREGATOR_HOURLY_SCHEDULE: must be a cron expression/),
        expect.stringMatching(/^AGGREGATOR_TIME_ZONE: must be an IANA time zone/),
        "AGGREGATOR_SHORT_WINDOW: must be whole seconds from 1s to 1h",
        expect.stringMatching(/^AGGREGATOR_LATENESS: must be a duration/),
        expect.stringMatching(/^AGGREGATOR_HANDOVER_MS: must exceed INFLUX_TIMEOUT_MS \(5000\)/),
      ]),
    );
    expect(problems).toHaveLength(6);
  });
});
