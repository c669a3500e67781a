import { createDatabase, dropDatabase, influxQL, ObservationWriter, seriesRows } from "@stadtfluss/influx";
import { uniqueName } from "@stadtfluss/testing";
import { afterEach, describe, expect, inject, it } from "vitest";
import { pointOf } from "./aggregate.ts";
import { calendarResolution, windowsBetween } from "./resolution.ts";
import { aggregateOf, rollupQueries } from "./rollups.ts";

const servers = inject("servers");
const hour = 3_600_000;

describe("roll-up statements on InfluxDB 1.x across the changes of the clocks", () => {
  const databases: string[] = [];

  afterEach(async () => {
    for (const database of databases.splice(0)) await dropDatabase({ url: servers.influxUrl, database });
  });

  // Fixed days of a year whose changes the time zone database knows, not the run's year:
  // the test must not depend on today's date (nor on the EU keeping the changes).
  for (const [season, dayOfChange] of [
    ["spring (a day of 23 hours)", Date.parse("2026-03-29T12:00:00Z")],
    ["autumn (a day of 25 hours)", Date.parse("2026-10-25T12:00:00Z")],
  ] as const) {
    it(`groups days at the city's midnight in ${season}, as the windows are counted here`, async () => {
      const database = uniqueName("rollup-dst").replaceAll("-", "_");
      databases.push(database);
      const settings = { url: servers.influxUrl, database };
      await createDatabase(settings);
      const day = calendarResolution("day", "Europe/Berlin");
      const from = day.previousWindow(day.windowStart(dayOfChange));
      const to = day.nextWindow(day.nextWindow(day.windowStart(dayOfChange)));
      // One count of 1 every quarter hour: a day's sum is four times its hours.
      const writer = new ObservationWriter({ url: servers.influxUrl, org: "", gzip: false });
      const points = [];
      for (let t = from; t < to; t += hour / 4) {
        points.push({
          database,
          point: pointOf({
            measurement: "traffic",
            tags: { device: "count-1", district: "nord" },
            fields: { vehicle_count: 1 },
            time: t,
          }),
        });
      }
      expect((await writer.writeRouted(points)).rejected).toEqual([]);

      const [query] = rollupQueries(day, from, to, 95, [
        { kind: "traffic.vehicle_count", statistics: ["sum"], scopes: ["device"] },
      ]);
      if (!query) throw new Error("no statement");
      const [series = []] = await influxQL(settings, query.statement);
      const sums = seriesRows(series).map((row) => {
        const aggregate = aggregateOf(query, day, row);
        return [aggregate?.time, aggregate?.fields.vehicle_count_sum];
      });
      const windows = windowsBetween(day, from, to);
      expect(sums).toEqual(windows.map((start) => [start, ((day.nextWindow(start) - start) / hour) * 4]));
      expect(sums.map(([, sum]) => sum)).toContain(season.startsWith("spring") ? 92 : 100);
    });
  }
});
