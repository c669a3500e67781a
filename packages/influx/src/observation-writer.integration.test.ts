import type { Point } from "@influxdata/influxdb-client";
import { isRetriable, type StadtflussError } from "@stadtfluss/errors";
import type { Observation } from "@stadtfluss/schemas";
import { type InfluxLimits, type InfluxServer, startInfluxDB, uniqueName } from "@stadtfluss/testing";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createDatabase } from "./database.ts";
import { influxQL } from "./influxql.ts";
import { observationToPoint } from "./observation-point.ts";
import {
  CapacityRefusedError,
  DatabaseNotFoundError,
  ObservationWriter,
  type WriteOutcome,
} from "./observation-writer.ts";

const servers = inject("servers");

function points(devices: string[], at = new Date(), kinds: Observation["kind"][] = []): Point[] {
  return devices.map((deviceId, i) =>
    observationToPoint({
      tenant: "musterstadt",
      deviceId,
      kind: kinds[i] ?? "air.pm10",
      value: i + 1,
      unit: "ug/m3",
      observedAt: at.toISOString(),
      receivedAt: at.toISOString(),
      source: "city",
      privacy: "personal",
    } satisfies Observation),
  );
}

async function database(url: string, options: { retentionMs?: number } = {}): Promise<string> {
  const name = uniqueName("writer").replaceAll("-", "_");
  await createDatabase({ url, database: name }, options);
  return name;
}

async function writeOrError(url: string, bucket: string, batch: Point[]): Promise<WriteOutcome | unknown> {
  const writer = new ObservationWriter({ url, org: "", bucket, database: bucket, gzip: false });
  try {
    return await writer.write(batch);
  } catch (error) {
    return error;
  } finally {
    await writer.close();
  }
}

async function stored(url: string, db: string, field = "pm10"): Promise<number> {
  const [series = []] = await influxQL({ url, database: db }, `SELECT count("${field}") FROM "air"`);
  return Number(series[0]?.values[0]?.[1] ?? 0);
}

describe("ObservationWriter against the real InfluxDB", () => {
  it("returns a point of a conflicting field type as refused, and writes the rest", async () => {
    const db = await database(servers.influxUrl);
    // Another writer stored pm10 as an integer first: InfluxDB keeps a field's type per shard.
    const first = await fetch(`${servers.influxUrl}/write?db=${db}`, {
      method: "POST",
      body: `air,tenant=musterstadt,device=air-0009,source=city pm10=7i ${Date.now()}000000`,
    });
    expect(first.status).toBe(204);
    const batch = points(["air-0001", "air-0002", "air-0003"], new Date(), ["air.pm2_5", "air.pm10", "air.pm2_5"]);
    const outcome = (await writeOrError(servers.influxUrl, db, batch)) as WriteOutcome;
    expect(outcome.rejected.map((r) => r.index)).toEqual([1]);
    expect(outcome.rejected[0]?.error.message).toMatch(/field type conflict/);
    expect(outcome.rejected[0]?.error.retriable).toBe(false);
    expect(await stored(servers.influxUrl, db, "pm2_5")).toBe(2);
  });

  it("refuses points beyond the retention policy as a lack of capacity, retriable, not as bad data", async () => {
    const db = await database(servers.influxUrl, { retentionMs: 3_600_000 });
    const twoHoursAgo = new Date(Date.now() - 2 * 3_600_000);
    const error = await writeOrError(servers.influxUrl, db, points(["air-0001", "air-0002"], twoHoursAgo));
    expect(error).toBeInstanceOf(CapacityRefusedError);
    expect(isRetriable(error)).toBe(true);
    expect((error as CapacityRefusedError).limit).toBe("retention");
  });

  it("writes each point to its own database, one write per database, and maps refusals back to the batch", async () => {
    const [first, second] = [await database(servers.influxUrl), await database(servers.influxUrl)];
    // pm10 is an integer in the second database only: its second point is refused there, the first's is not.
    const seeded = await fetch(`${servers.influxUrl}/write?db=${second}`, {
      method: "POST",
      body: `air,tenant=musterstadt,device=air-0009,source=city pm10=7i ${Date.now()}000000`,
    });
    expect(seeded.status).toBe(204);
    const batch = points(["air-0001", "air-0002", "air-0003", "air-0004"], new Date(), [
      "air.pm10",
      "air.pm2_5",
      "air.pm10",
      "air.pm10",
    ]);
    const writer = new ObservationWriter({ url: servers.influxUrl, org: "", gzip: false });
    try {
      const outcome = await writer.writeRouted(
        batch.map((point, i) => ({ database: i % 2 === 0 ? first : second, point })),
      );
      expect(outcome.rejected.map((r) => r.index)).toEqual([3]);
    } finally {
      await writer.close();
    }
    expect([await stored(servers.influxUrl, first), await stored(servers.influxUrl, second, "pm2_5")]).toEqual([2, 1]);
    // The seeded point and nothing of the refused one.
    expect(await stored(servers.influxUrl, second)).toBe(1);
  });

  it("names a database that does not exist, retriable, after the others of the batch settled", async () => {
    const existing = await database(servers.influxUrl);
    const missing = uniqueName("missing").replaceAll("-", "_");
    const writer = new ObservationWriter({ url: servers.influxUrl, org: "", gzip: false });
    const batch = points(["air-0001", "air-0002"]);
    const error = await writer
      .writeRouted([
        { database: missing, point: batch[0] as Point },
        { database: existing, point: batch[1] as Point },
      ])
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    await writer.close();
    expect(error).toBeInstanceOf(DatabaseNotFoundError);
    expect(isRetriable(error)).toBe(true);
    expect((error as DatabaseNotFoundError).database).toBe(missing);
    expect((error as Error).message).toMatch(/database not found/);
    expect(await stored(servers.influxUrl, existing)).toBe(1);
  });

  describe.each([
    ["series", { maxSeriesPerDatabase: 2 }, /max-series-per-database limit exceeded/],
    ["tag-values", { maxValuesPerTag: 2 }, /max-values-per-tag limit exceeded/],
  ] as const)("with InfluxDB's %s limit reached", (limit, limits: InfluxLimits, reason) => {
    let influx: InfluxServer;

    beforeAll(async () => {
      influx = await startInfluxDB({ limits });
    });

    afterAll(async () => {
      await influx?.stop();
    });

    it("refuses the write as a lack of capacity, retriable, and dead-letters nothing", async () => {
      const db = await database(influx.url);
      // InfluxDB counts against what it holds before a write: the first two fit.
      expect(await writeOrError(influx.url, db, points(["air-0001", "air-0002"]))).toEqual({ rejected: [] });
      const error = await writeOrError(influx.url, db, points(["air-0001", "air-0002", "air-0003", "air-0004"]));
      expect(error).toBeInstanceOf(CapacityRefusedError);
      expect(isRetriable(error)).toBe(true);
      expect((error as CapacityRefusedError).limit).toBe(limit);
      expect((error as StadtflussError).message).toMatch(reason);
      // 1.x answers with 400 but stored what fitted (a partial write); a retry writes the same points again.
      expect(await stored(influx.url, db)).toBe(2);
    });
  });
});
