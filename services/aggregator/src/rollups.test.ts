import { kinds } from "@stadtfluss/schemas";
import { describe, expect, it } from "vitest";
import { pointOf } from "./aggregate.ts";
import { calendarResolution } from "./resolution.ts";
import { aggregateOf, notRolledUp, rollupQueries, rollups } from "./rollups.ts";

describe("the roll-up catalogue", () => {
  it("places every kind of the catalogue exactly once: rolled up, or not with a reason", () => {
    const rolled = rollups.map((rollup) => rollup.kind);
    const left = Object.keys(notRolledUp);
    expect(new Set(rolled).size).toBe(rolled.length);
    expect([...rolled, ...left].sort()).toEqual(Object.keys(kinds).sort());
  });

  it("never sums a cumulative register", () => {
    for (const rollup of rollups) expect(kinds[rollup.kind]).not.toHaveProperty("cumulative");
  });

  it("bounds every statement on both sides, fills nothing, and reads days in the city's zone", () => {
    const day = calendarResolution("day", "Europe/Berlin");
    const from = Date.parse("2026-03-27T23:00:00Z");
    const queries = rollupQueries(day, from, day.nextWindow(from), 95);
    expect(queries.map((q) => `${q.measurement}/${q.scope}`).sort()).toEqual([
      "air/device",
      "parking/district",
      "traffic/device",
      "traffic/district",
      "water/device",
    ]);
    for (const query of queries) {
      expect(query.statement).toContain(`WHERE time >= ${from}ms AND time < ${from + 24 * 3_600_000}ms`);
      expect(query.statement).toMatch(/GROUP BY time\(1d\), .* fill\(none\) tz\('Europe\/Berlin'\)$/);
    }
    const traffic = queries.find((q) => q.measurement === "traffic" && q.scope === "device");
    expect(traffic?.statement).toContain(`sum("vehicle_count") AS "vehicle_count_sum"`);
    expect(traffic?.statement).toContain(`percentile("average_speed", 95) AS "average_speed_p95"`);
    const parking = queries.find((q) => q.measurement === "parking");
    expect(parking?.statement).toContain(`mean("occupied") * 100 AS "occupied_percent"`);
    expect(parking?.statement).toContain(`GROUP BY time(1d), "district" fill(none)`);
  });

  it("makes a row an aggregate point at the window's start with fixed tags, and drops a row without values", () => {
    const hour = calendarResolution("hour", "Europe/Berlin");
    const [query] = rollupQueries(hour, 0, 3_600_000, 95, [
      { kind: "traffic.vehicle_count", statistics: ["sum"], scopes: ["device"] },
    ]);
    if (!query) throw new Error("no query");
    const row = { time: 7_200_000, device: "d-1", district: "mitte", vehicle_count_sum: 12 };
    const aggregate = aggregateOf(query, hour, row);
    expect(aggregate && pointOf(aggregate).toLineProtocol()).toBe(
      "traffic,device=d-1,district=mitte,resolution=1h,scope=device vehicle_count_sum=12 7200000000000",
    );
    expect(aggregateOf(query, hour, { ...row, vehicle_count_sum: null })).toBeUndefined();
    expect(aggregateOf(query, hour, { ...row, device: "" })).toBeUndefined();
  });
});
