import { describe, expect, it } from "vitest";
import { formatRetention, parseInfluxDuration, shardDurationFor } from "./retention.ts";

describe("retention durations", () => {
  it("reads SHOW RETENTION POLICIES' durations, 0s being infinite", () => {
    expect(parseInfluxDuration("0s")).toBeNull();
    expect(parseInfluxDuration("1h0m0s")).toBe(3_600_000);
    expect(parseInfluxDuration("9504h0m0s")).toBe(9504 * 3_600_000);
    expect(parseInfluxDuration("1h0m0.5s")).toBe(3_600_500);
    expect(() => parseInfluxDuration("1 day")).toThrow("not an InfluxDB duration");
  });

  it("picks the shard duration InfluxDB picks for a retention", () => {
    expect(shardDurationFor(null)).toBe(7 * 86_400_000);
    expect(shardDurationFor(365 * 86_400_000)).toBe(7 * 86_400_000);
    expect(shardDurationFor(30 * 86_400_000)).toBe(86_400_000);
    expect(shardDurationFor(3_600_000)).toBe(3_600_000);
  });

  it("formats retentions for people", () => {
    expect(formatRetention(null)).toBe("infinite");
    expect(formatRetention(396 * 86_400_000)).toBe("396d");
    expect(formatRetention(5 * 3_600_000)).toBe("5h");
  });
});
