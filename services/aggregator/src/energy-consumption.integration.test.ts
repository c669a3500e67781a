import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createDatabase, influxQL, ObservationWriter, observationToPoint, seriesRows } from "@stadtfluss/influx";
import { databaseName } from "@stadtfluss/registry";
import { startWorker, uniqueName, type WorkerProcess } from "@stadtfluss/testing";
import { afterEach, describe, expect, inject, it } from "vitest";
import { fixedResolution } from "./resolution.ts";

const servers = inject("servers");
const influx = { url: servers.influxUrl };

/** Households per district: `hafen` has fewer than k = 5. */
const HOUSEHOLDS = [
  ...Array.from({ length: 6 }, (_, i) => ({ device: `meter-a${i}`, district: "altstadt" })),
  ...Array.from({ length: 2 }, (_, i) => ({ device: `meter-h${i}`, district: "hafen" })),
  ...Array.from({ length: 5 }, (_, i) => ({ device: `meter-n${i}`, district: "nord" })),
];

interface Reading {
  readonly device: string;
  readonly district: string;
  readonly at: number;
  readonly register: number;
}

/** Meter totals in whole kWh (so differences and sums are exact), rising by 1 to 3 every `stepMs`. */
function registers(from: number, to: number, stepMs: number): Reading[] {
  let state = 42;
  const next = () => {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    return state / 2 ** 32;
  };
  const out: Reading[] = [];
  for (const { device, district } of HOUSEHOLDS) {
    let register = 1_000 + Math.floor(next() * 5_000);
    for (let t = from; t < to; t += stepMs) {
      register += 1 + Math.floor(next() * 3);
      out.push({ device, district, at: t + Math.floor(next() * (stepMs / 2)), register });
    }
  }
  return out;
}

describe("energy consumption per district from household meters", () => {
  let worker: WorkerProcess | undefined;

  afterEach(async () => {
    await worker?.stop();
    worker = undefined;
  });

  it("publishes differences of the registers per district, a district below k and one more suppressed, only after the lateness", async () => {
    const tenant = uniqueName("agg-energy").replaceAll(/[^a-z0-9-]/g, "");
    for (const dataClass of ["public", "personal", "open"] as const) {
      await createDatabase({ ...influx, database: databaseName(tenant, dataClass) });
    }
    const folder = mkdtempSync(join(tmpdir(), "sf-aggregator-declaration-"));
    writeFileSync(join(folder, "platform.yaml"), `tenants:\n  - { id: ${tenant}, name: ${tenant}, kind: utility }\n`);
    const now = Date.now();
    const raw = registers(now - 40_000, now + 120_000, 500);
    const writer = new ObservationWriter({ url: servers.influxUrl, org: "", gzip: false });
    const outcome = await writer.writeRouted(
      raw.map((r) => ({
        database: databaseName(tenant, "personal"),
        point: observationToPoint({
          tenant,
          deviceId: r.device,
          district: r.district,
          kind: "energy.active_import",
          value: r.register,
          unit: "kW.h",
          observedAt: new Date(r.at).toISOString(),
          receivedAt: new Date(r.at).toISOString(),
          source: "test",
          privacy: "personal",
        }),
      })),
    );
    expect(outcome.rejected).toEqual([]);

    worker = await startWorker("aggregator", {
      KAFKA_BROKERS: servers.kafkaBrokers.join(","),
      KAFKA_TOPIC_PREFIX: `${tenant}.`,
      KAFKA_GROUP_ID: tenant,
      KAFKA_SESSION_TIMEOUT_MS: "6000",
      INFLUX_URL: servers.influxUrl,
      INFLUX_TIMEOUT_MS: "2000",
      AGGREGATOR_HANDOVER_MS: "2500",
      AGGREGATOR_DECLARATION: folder,
      AGGREGATOR_HOURLY_SCHEDULE: "0 0 1 1 *",
      AGGREGATOR_DAILY_SCHEDULE: "0 0 1 1 *",
      AGGREGATOR_SHORT_WINDOW: "2s",
      AGGREGATOR_SHORT_SCHEDULE: "* * * * * *",
      AGGREGATOR_CATCH_UP: "30s",
      AGGREGATOR_LATENESS: "4s",
    });
    const personalRuns = () =>
      (worker as WorkerProcess).output
        .filter((line) => line.includes('"msg":"aggregation run finished"') && line.includes('"data":"personal"'))
        .map((line) => JSON.parse(line) as { from: string; to: string; startedAt: number; windows: number });
    await expect.poll(() => personalRuns().length, { timeout: 60_000 }).toBeGreaterThan(2);
    const runs = personalRuns().map((run) => ({ ...run, from: Date.parse(run.from), to: Date.parse(run.to) }));
    // Never a window whose lateness has not passed.
    for (const run of runs) expect(run.to).toBeLessThanOrEqual(run.startedAt - 4_000);
    const from = runs[0]?.from ?? 0;
    const to = runs.at(-1)?.to ?? 0;
    expect(to - from).toBeGreaterThanOrEqual(20_000);

    // The same differences computed here: last reading of a window minus the last of the window before.
    const short = fixedResolution(2_000);
    const last = new Map<string, number>();
    for (const r of raw) {
      const key = `${r.device}|${short.windowStart(r.at)}`;
      const seen = raw.find(
        (o) => o.device === r.device && `${o.device}|${short.windowStart(o.at)}` === key && o.at > r.at,
      );
      if (!seen) last.set(key, r.register);
    }
    const [series = []] = await influxQL(
      { ...influx, database: databaseName(tenant, "open") },
      `SELECT * FROM "energy" WHERE "resolution" = '2s' AND time >= ${from}ms AND time < ${to}ms`,
    );
    const stored = seriesRows(series);
    const windows = [...new Set(stored.map((row) => Number(row.time)))].sort((a, b) => a - b);
    expect(windows).toEqual(Array.from({ length: (to - from) / 2_000 }, (_, i) => from + i * 2_000));
    for (const window of windows) {
      const consumption = (district?: string) =>
        HOUSEHOLDS.filter((h) => district === undefined || h.district === district).map(
          (h) => (last.get(`${h.device}|${window}`) ?? 0) - (last.get(`${h.device}|${window - 2_000}`) ?? 0),
        );
      const row = (scope: string, district?: string) =>
        stored.find(
          (r) => r.time === window && r.scope === scope && (district === undefined || r.district === district),
        );
      // Below k: suppressed, with no figure; never zero, never missing.
      expect(row("district", "hafen")).toMatchObject({ suppressed: true, consumption_kwh: null, households: null });
      // The total is published, so one more district is suppressed: hafen alone would be total minus the others.
      const others = ["altstadt", "nord"].map((district) => ({ district, row: row("district", district) }));
      expect(others.filter((o) => o.row?.suppressed === true)).toHaveLength(1);
      for (const { district, row: published } of others.filter((o) => o.row?.suppressed === false)) {
        const values = consumption(district);
        expect(published).toMatchObject({
          consumption_kwh: values.reduce((a, b) => a + b, 0),
          households: values.length,
        });
      }
      const total = consumption();
      expect(row("tenant")).toMatchObject({
        suppressed: false,
        consumption_kwh: total.reduce((a, b) => a + b, 0),
        households: HOUSEHOLDS.length,
      });
    }
  });
});
