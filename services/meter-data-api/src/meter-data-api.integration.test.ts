import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { createDatabase, dropDatabase, METER_SERIAL_FIELD } from "@stadtfluss/influx";
import { databaseName } from "@stadtfluss/registry";
import {
  freePort,
  repositoryRoot,
  startProcess,
  startWorker,
  uniqueName,
  type WorkerProcess,
} from "@stadtfluss/testing";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { newToken, writeTokenFile } from "./access/token-store.ts";

const servers = inject("servers");
const MINUTE = 60_000;
const QUARTER = 15 * MINUTE;
const HOUR = 60 * MINUTE;

// Two utilities sharing the platform, each with a metering reader.
const tenantA = uniqueName("sw-a");
const tenantB = uniqueName("sw-b");
const readerA = `${tenantA}-metering`;
const readerB = `${tenantB}-metering`;
const district = "Nordviertel";

// Whole hours some hours before the run, so that every reading lies in the past.
const from = Math.floor((Date.now() - 8 * HOUR) / HOUR) * HOUR;
const to = from + 4 * HOUR;
const gapFrom = from + HOUR + 20 * MINUTE; // no readings 01:20 to 01:55
const gapTo = from + HOUR + 55 * MINUTE;
const resetAt = from + 2 * HOUR + 37 * MINUTE; // the register starts again at 0

interface Reading {
  readonly at: number;
  readonly importKwh: number;
  readonly exportKwh: number;
}

/** One reading a minute with a load that changes every minute; import and export both rise. */
function readingsOf(meter: number, options: { gap?: boolean; reset?: boolean }): Reading[] {
  const readings: Reading[] = [];
  let importKwh = 1000 * meter;
  let exportKwh = 10 * meter;
  for (let at = from - 2 * MINUTE; at <= to; at += MINUTE) {
    if (options.reset && at === resetAt) importKwh = 0;
    if (!(options.gap && at >= gapFrom && at < gapTo)) readings.push({ at, importKwh, exportKwh });
    const minute = (at - from) / MINUTE + 2;
    importKwh += (0.5 + ((minute * 7 + meter) % 13) / 10) / 60;
    exportKwh += ((minute % 5) * 0.1) / 60;
  }
  return readings;
}

const meterA1 = { id: "meter-a1", readings: readingsOf(1, { gap: true, reset: true }) };
const meterA2 = { id: "meter-a2", readings: readingsOf(2, {}) };
const meterB1 = { id: "meter-b1", readings: readingsOf(3, {}) };
// Exchanged at `exchangeAt`: the new meter's register goes on rising, only its serial tells.
const exchangeAt = from + HOUR + 7 * MINUTE;
const meterA3 = { id: "meter-a3", readings: readingsOf(4, {}) };
const serialLines = (tenant: string) =>
  lines(tenant, meterA3).map((line, i) =>
    line
      .replace(`district=${district}`, "district=Suedviertel")
      .replace(
        / (\d+)$/,
        `,${METER_SERIAL_FIELD}="${(meterA3.readings[i]?.at ?? 0) < exchangeAt ? "SN-OLD" : "SN-NEW"}" $1`,
      ),
  );

function lines(tenant: string, meter: { id: string; readings: Reading[] }): string[] {
  return meter.readings.map(
    (r) =>
      `energy,device=${meter.id},district=${district},privacy=personal,source=city,tenant=${tenant} active_import=${r.importKwh},active_export=${r.exportKwh},voltage_l1=${230 + ((r.at / MINUTE) % 3)},current_l1=${((r.at / MINUTE) % 4) + 1} ${r.at}`,
  );
}

/** The consumption of [start, end) computed directly: the register at end minus at start, or undefined. */
function direct(readings: Reading[], start: number, end: number, field: "importKwh" | "exportKwh"): number | undefined {
  const at = (t: number) => readings.find((r) => r.at === t)?.[field];
  const a = at(start);
  const b = at(end);
  return a === undefined || b === undefined ? undefined : b - a;
}

async function write(tenant: string, body: string[]): Promise<void> {
  const database = databaseName(tenant, "personal");
  await createDatabase({ url: servers.influxUrl, database });
  const response = await fetch(`${servers.influxUrl}/write?db=${database}&precision=ms`, {
    method: "POST",
    body: body.join("\n"),
  });
  expect(response.status).toBe(204);
}

/** The secret part of `sfm_<id>_<secret>` (which may itself hold `_`). */
const secretOf = (token: string) => token.slice("sfm_0123456789abcdef_".length);
const iso = (t: number) => new Date(t).toISOString();

// biome-ignore lint/suspicious/noExplicitAny: an answer's shape is what the assertions check
type Json = any;
const json = async (response: Response | Promise<Response>): Promise<Json> => (await response).json();

describe("meter-data API over the real InfluxDB", () => {
  const dir = mkdtempSync(join(tmpdir(), "sf-meter-api-"));
  const declaration = join(dir, "platform.yaml");
  const tokensFile = join(dir, "tokens.json");
  const accessLogDir = join(dir, "access");
  let api: WorkerProcess;
  let base: string;
  let tokenA: string;
  let tokenB: string;
  let expiredToken: string;

  const get = (path: string, token?: string) =>
    fetch(`${base}${path}`, token === undefined ? {} : { headers: { authorization: `Bearer ${token}` } });

  beforeAll(async () => {
    writeFileSync(
      declaration,
      [
        "tenants:",
        ...[tenantA, tenantB].flatMap((id) => [`  - id: ${id}`, `    name: ${id}`, "    kind: utility"]),
        "readers:",
        ...[
          [readerA, tenantA],
          [readerB, tenantB],
        ].flatMap(([name, tenant]) => [`  - name: ${name}`, "    read:", `      ${tenant}: [personal, open]`]),
        "  - name: planners",
        "    read:",
        `      ${tenantA}: [open]`,
      ].join("\n"),
    );
    await Promise.all([
      write(tenantA, [...lines(tenantA, meterA1), ...lines(tenantA, meterA2), ...serialLines(tenantA)]),
      write(tenantB, lines(tenantB, meterB1)),
    ]);
    // The operator's command creates A's token and prints it once.
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [
        join(repositoryRoot(), "services/meter-data-api/src/token-command.ts"),
        "create",
        "--reader",
        readerA,
        "--expires",
        "1d",
        "--declaration",
        declaration,
        "--tokens-file",
        tokensFile,
      ],
      { env: { PATH: process.env.PATH ?? "" } },
    );
    tokenA = stdout.trim();
    expect(readFileSync(tokensFile, "utf8")).not.toContain(secretOf(tokenA));
    const existing = JSON.parse(readFileSync(tokensFile, "utf8")).tokens;
    const b = await newToken(readerB, new Date(Date.now() + HOUR), new Date());
    const expired = await newToken(readerA, new Date(Date.now() - MINUTE), new Date(Date.now() - HOUR));
    writeTokenFile(tokensFile, [...existing, b.record, expired.record]);
    tokenB = b.token;
    expiredToken = expired.token;

    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    api = await startWorker("meter-data-api", {
      INFLUX_URL: servers.influxUrl,
      METER_DECLARATION: declaration,
      METER_TOKENS_FILE: tokensFile,
      METER_ACCESS_LOG_DIR: accessLogDir,
      METER_API_HOST: "127.0.0.1",
      METER_API_PORT: String(port),
    });
  });

  afterAll(async () => {
    await api?.stop();
    await Promise.allSettled(
      [tenantA, tenantB].map((t) => dropDatabase({ url: servers.influxUrl, database: databaseName(t, "personal") })),
    );
  });

  it("a load profile equals the direct computation; the gap and the reset are flagged, never filled", async () => {
    const response = await get(`/v1/meters/${meterA1.id}/load-profile?from=${iso(from)}&to=${iso(to)}`, tokenA);
    expect(response.status).toBe(200);
    expect(response.headers.get("cache-control")).toBe("private, no-store");
    const profile = await json(response);
    expect(profile.intervals).toHaveLength(16);
    for (const [n, interval] of profile.intervals.entries()) {
      const start = from + n * QUARTER;
      expect(Date.parse(interval.start)).toBe(start);
      const expectedImport = direct(meterA1.readings, start, start + QUARTER, "importKwh");
      const expectedExport = direct(meterA1.readings, start, start + QUARTER, "exportKwh");
      if (start + QUARTER > gapFrom && start < gapTo) {
        // 01:15-01:30, 01:30-01:45 and 01:45-02:00 have a boundary without a reading within 5 minutes.
        expect([interval.importStatus, interval.import]).toEqual(["gap", null]);
        expect([interval.exportStatus, interval.export]).toEqual(["gap", null]);
      } else if (start < resetAt && resetAt <= start + QUARTER) {
        expect([interval.importStatus, interval.import]).toEqual(["reset", null]);
        expect(interval.exportStatus).toBe("ok");
        expect(interval.export).toBeCloseTo(expectedExport as number, 6);
      } else {
        expect(interval.importStatus).toBe("ok");
        expect(interval.import).toBeCloseTo(expectedImport as number, 6);
        expect(interval.export).toBeCloseTo(expectedExport as number, 6);
      }
    }
    expect(profile.intervals.filter((i: { importStatus: string }) => i.importStatus === "gap")).toHaveLength(3);
    expect(profile.events).toEqual([
      expect.objectContaining({ register: "active_import", kind: "reset", reason: "register fell", after: 0 }),
    ]);
    expect(Date.parse(profile.events[0].at)).toBe(resetAt);
  });

  it("shows a meter exchange from the serial the pipeline stores with the readings, not as consumption", async () => {
    const profile = await json(
      get(`/v1/meters/${meterA3.id}/load-profile?from=${iso(from)}&to=${iso(to)}&resolution=15m`, tokenA),
    );
    // Every register of the meter sees the exchange.
    const byRegister = [...profile.events].sort((a, b) => a.register.localeCompare(b.register));
    expect(byRegister).toEqual(
      ["active_export", "active_import"].map((register) =>
        expect.objectContaining({
          register,
          kind: "exchange",
          reason: "serial changed",
          serialBefore: "SN-OLD",
          serialAfter: "SN-NEW",
        }),
      ),
    );
    expect(Date.parse(profile.events[0].at)).toBe(exchangeAt);
    const across = profile.intervals.find(
      (i: { start: string }) => Date.parse(i.start) < exchangeAt && exchangeAt <= Date.parse(i.start) + QUARTER,
    );
    expect([across.importStatus, across.import]).toEqual(["exchange", null]);
  });

  it("an hourly profile of a meter without faults is the register's rise per hour, also as German CSV", async () => {
    const query = `from=${iso(from)}&to=${iso(to)}&resolution=1h&format=csv&dialect=de`;
    const response = await get(`/v1/meters/${meterA2.id}/load-profile?${query}`, tokenA);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/csv/);
    const [header, ...rows] = (await response.text()).trimEnd().split("\r\n");
    expect(header).toBe("meter;start;end;import_kwh;import_status;export_kwh;export_status");
    expect(rows).toHaveLength(4);
    for (const [n, row] of rows.entries()) {
      const [meter, start, , importKwh, status] = (row as string).split(";");
      expect(meter).toBe(meterA2.id);
      expect(Date.parse(start as string)).toBe(from + n * HOUR);
      expect(status).toBe("ok");
      const expected = direct(meterA2.readings, from + n * HOUR, from + (n + 1) * HOUR, "importKwh") as number;
      expect(Number((importKwh as string).replace(",", "."))).toBeCloseTo(expected, 5);
    }
  });

  it("utility A's token never sees utility B's meter: 404, as for a meter that does not exist", async () => {
    const foreign = await get(`/v1/meters/${meterB1.id}/load-profile?from=${iso(from)}&to=${iso(to)}`, tokenA);
    const nobody = await get(`/v1/meters/no-such-meter/load-profile?from=${iso(from)}&to=${iso(to)}`, tokenA);
    expect(foreign.status).toBe(404);
    expect(nobody.status).toBe(404);
    const foreignBody = await json(foreign);
    expect(foreignBody).toMatchObject({ status: 404, title: "Not Found" });
    expect(JSON.stringify(foreignBody)).not.toContain(tenantB);
    expect((await get(`/v1/meters/${meterB1.id}/latest`, tokenA)).status).toBe(404);
    const group = await get(
      `/v1/load-profiles?meters=${meterA1.id},${meterB1.id}&from=${iso(from)}&to=${iso(to)}`,
      tokenA,
    );
    expect(group.status).toBe(404);
    // B's own token reads it.
    const own = await get(`/v1/meters/${meterB1.id}/latest`, tokenB);
    expect(own.status).toBe(200);
    // ...and A's meters are as invisible to B.
    expect((await get(`/v1/meters/${meterA1.id}/latest`, tokenB)).status).toBe(404);
  });

  it("a missing, wrong or expired token answers 401 with a problem body", async () => {
    const path = `/v1/meters/${meterA2.id}/latest`;
    const wrong = `${tokenA.slice(0, -4)}AAAA`;
    for (const token of [undefined, wrong, "not-a-token", expiredToken]) {
      const response = await get(path, token);
      expect(response.status).toBe(401);
      expect(response.headers.get("www-authenticate")).toMatch(/^Bearer/);
      expect((await json(response)).status).toBe(401);
    }
    expect(await json(get(path, expiredToken))).toMatchObject({ detail: "the token has expired" });
    // Never logged: not the wrong one, not the right one.
    const log = api.output.join("\n");
    for (const token of [tokenA, wrong, expiredToken]) expect(log).not.toContain(secretOf(token));
  });

  it("a parameter that is wrong answers 400 naming it", async () => {
    const response = await get(`/v1/meters/${meterA2.id}/load-profile?from=${iso(from)}&to=yesterday`, tokenA);
    expect(response.status).toBe(400);
    expect((await json(response))["invalid-params"]).toEqual([expect.objectContaining({ name: "to" })]);
    const resolution = await get(
      `/v1/meters/${meterA2.id}/load-profile?from=${iso(from)}&to=${iso(to)}&resolution=5m`,
      tokenA,
    );
    expect((await json(resolution))["invalid-params"]).toEqual([expect.objectContaining({ name: "resolution" })]);
  });

  it("totals per register, the latest reading and the phase quantities", async () => {
    const totals = await json(get(`/v1/meters/${meterA2.id}/totals?from=${iso(from)}&to=${iso(to)}`, tokenA));
    const imported = totals.registers.find((r: { register: string }) => r.register === "active_import");
    expect(imported).toMatchObject({ unit: "kW.h", intervals: 16, missingIntervals: 0, complete: true });
    expect(imported.consumption).toBeCloseTo(direct(meterA2.readings, from, to, "importKwh") as number, 5);
    // The tariff registers this meter does not have are not listed.
    expect(totals.registers.map((r: { register: string }) => r.register).sort()).toEqual([
      "active_export",
      "active_import",
    ]);

    const latest = await json(get(`/v1/meters/${meterA2.id}/latest`, tokenA));
    const last = meterA2.readings.at(-1) as Reading;
    expect(latest.readings).toContainEqual({
      field: "active_import",
      unit: "kW.h",
      at: iso(last.at),
      value: expect.closeTo(last.importKwh, 6),
    });

    const phases = await json(
      get(`/v1/meters/${meterA2.id}/phases?from=${iso(from)}&to=${iso(from + HOUR)}&resolution=15m`, tokenA),
    );
    expect(phases.intervals).toHaveLength(4);
    const first = meterA2.readings.filter((r) => r.at >= from && r.at < from + QUARTER);
    const voltages = first.map((r) => 230 + ((r.at / MINUTE) % 3));
    expect(phases.intervals[0].voltage_l1_min).toBe(Math.min(...voltages));
    expect(phases.intervals[0].voltage_l1_max).toBe(Math.max(...voltages));
    expect(phases.intervals[0].voltage_l1_mean).toBeCloseTo(voltages.reduce((a, b) => a + b) / voltages.length, 6);
    expect(phases.units).toMatchObject({ voltage_l1: "V", current_l1: "A" });
  });

  it("a district's load profiles stream meter by meter, each equal to the meter's own", async () => {
    const query = `district=${district}&from=${iso(from)}&to=${iso(to)}`;
    const group = await json(get(`/v1/load-profiles?${query}`, tokenA));
    expect(group.meters.map((m: { meter: string }) => m.meter)).toEqual([meterA1.id, meterA2.id]);
    const single = await json(get(`/v1/meters/${meterA2.id}/load-profile?from=${iso(from)}&to=${iso(to)}`, tokenA));
    expect(group.meters[1].intervals).toEqual(single.intervals);

    const csv = await (await get(`/v1/load-profiles?${query}&format=csv`, tokenA)).text();
    const rows = csv.trimEnd().split("\r\n");
    expect(rows).toHaveLength(1 + 2 * 16);
    // B shares the district name but not the database: none of its meters.
    expect(csv).not.toContain(meterB1.id);
  });

  it("every access is in the reader's own access log, which the API only lets it read", async () => {
    const path = `/v1/meters/${meterA2.id}/load-profile`;
    const marker = `from=${iso(from + HOUR)}&to=${iso(from + 2 * HOUR)}`;
    expect((await get(`${path}?${marker}`, tokenA)).status).toBe(200);
    expect((await get(`/v1/meters/${meterB1.id}/latest`, tokenA)).status).toBe(404);

    const log = await json(get("/v1/access-log", tokenA));
    expect(log.reader).toBe(readerA);
    expect(log.entries).toContainEqual(
      expect.objectContaining({
        reader: readerA,
        method: "GET",
        path,
        meters: [meterA2.id],
        from: iso(from + HOUR),
        to: iso(from + 2 * HOUR),
        status: 200,
      }),
    );
    expect(log.entries).toContainEqual(
      expect.objectContaining({ path: `/v1/meters/${meterB1.id}/latest`, meters: [meterB1.id], status: 404 }),
    );
    expect(log.entries.every((e: { reader: string }) => e.reader === readerA)).toBe(true);
    // The district request named its meters.
    expect(log.entries).toContainEqual(
      expect.objectContaining({ path: "/v1/load-profiles", district, meters: [meterA1.id, meterA2.id] }),
    );
    // The file holds a line per entry; B's log holds only B's requests.
    const fileA = readFileSync(join(accessLogDir, `${readerA}.jsonl`), "utf8")
      .trimEnd()
      .split("\n");
    expect(fileA).toHaveLength(log.entries.length);
    const fileB = readFileSync(join(accessLogDir, `${readerB}.jsonl`), "utf8")
      .trimEnd()
      .split("\n");
    expect(fileB.map((line) => JSON.parse(line).reader)).toEqual(fileB.map(() => readerB));

    for (const method of ["POST", "PUT", "DELETE", "PATCH"]) {
      const response = await fetch(`${base}/v1/access-log`, {
        method,
        headers: { authorization: `Bearer ${tokenA}` },
      });
      expect(response.status).toBe(404);
    }
    expect(
      readFileSync(join(accessLogDir, `${readerA}.jsonl`), "utf8")
        .trimEnd()
        .split("\n"),
    ).toHaveLength(fileA.length);
  });

  it("the OpenAPI description lists the routes and their parameters", async () => {
    const document = await json(get("/openapi.json"));
    expect(Object.keys(document.paths).sort()).toEqual([
      "/v1/access-log",
      "/v1/load-profiles",
      "/v1/meters/{meter}/latest",
      "/v1/meters/{meter}/load-profile",
      "/v1/meters/{meter}/phases",
      "/v1/meters/{meter}/totals",
    ]);
  });

  it("a bad setting stops start-up with exit code 78 naming it", async () => {
    const started = startProcess(
      "meter-data-api",
      process.execPath,
      [join(repositoryRoot(), "services/meter-data-api/src/main.ts")],
      {
        env: {
          PATH: process.env.PATH ?? "",
          INFLUX_URL: servers.influxUrl,
          METER_DECLARATION: declaration,
          METER_TOKENS_FILE: join(dir, "missing.json"),
          METER_ACCESS_LOG_DIR: accessLogDir,
          METER_BOUNDARY_TOLERANCE: "20m",
        },
      },
    );
    expect((await started.exited).code).toBe(78);
    const output = started.output.join("\n");
    expect(output).toContain("METER_BOUNDARY_TOLERANCE");
  });
});
