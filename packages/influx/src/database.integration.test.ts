import { uniqueName } from "@stadtfluss/testing";
import { describe, expect, inject, it } from "vitest";
import { createDatabase, dropDatabase } from "./database.ts";
import { influxQL, quoteIdentifier, quoteString, seriesRows } from "./influxql.ts";

const servers = inject("servers");

describe("the InfluxDB read side against the real InfluxDB", () => {
  it("creates a database of any name, reads awkward names and values back quoted, and drops it", async () => {
    const settings = { url: servers.influxUrl, database: `${uniqueName("read")} "quoted"` };
    await createDatabase(settings);
    await createDatabase(settings);
    try {
      const lines = [
        `odd\\ measurement,device=it's\\ a\\,b value=1 1000`,
        `odd\\ measurement,device=other value=2 2000`,
      ].join("\n");
      const written = await fetch(
        `${servers.influxUrl}/write?${new URLSearchParams({ db: settings.database, precision: "ms" })}`,
        { method: "POST", body: lines },
      );
      expect(written.status).toBe(204);
      const [series = []] = await influxQL(
        settings,
        `SELECT "value" FROM ${quoteIdentifier("odd measurement")} WHERE "device" = ${quoteString("it's a,b")} GROUP BY "device"`,
      );
      expect(seriesRows(series)).toEqual([{ device: "it's a,b", time: 1000, value: 1 }]);
    } finally {
      await dropDatabase(settings);
    }
    const [databases = []] = await influxQL(settings, "SHOW DATABASES");
    expect(seriesRows(databases).map((row) => row.name)).not.toContain(settings.database);
  });

  it("keeps points only as long as the retention given", async () => {
    const settings = { url: servers.influxUrl, database: uniqueName("retention").replaceAll("-", "_") };
    await createDatabase(settings, { retentionMs: 3_600_000 });
    try {
      const [policies = []] = await influxQL(
        settings,
        `SHOW RETENTION POLICIES ON ${quoteIdentifier(settings.database)}`,
      );
      expect(seriesRows(policies)).toContainEqual(expect.objectContaining({ duration: "1h0m0s", default: true }));
    } finally {
      await dropDatabase(settings);
    }
  });
});
