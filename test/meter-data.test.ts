import { execFile, execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { METER_SERIAL_FIELD } from "@stadtfluss/influx";
import { databaseName } from "@stadtfluss/registry";
import { mqttSubscriptions } from "@stadtfluss/simulator/device-catalogue";
import { freePort, repositoryRoot, startWorker, uniqueName, type WorkerProcess } from "@stadtfluss/testing";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { parse, stringify } from "yaml";
import { type Pipeline, startPipeline } from "./pipeline.ts";

/**
 * The meter-data API over readings that went the whole way: the simulator's DSMR
 * and Tasmota household meters (with a reset, two exchanges and a gap injected)
 * publish over Mosquitto, the bridge, normalizer and writer store them in the
 * utility's `personal` database, and the API's load profiles are checked against
 * the register computed directly from the stored readings.
 */

const servers = inject("servers");
const MINUTE = 60_000;
const QUARTER = 15 * MINUTE;
const HOUR = 60 * MINUTE;
const TOLERANCE = 5 * MINUTE; // METER_BOUNDARY_TOLERANCE's default

/** Europe/Berlin's offset at `t`, as Tasmota's local times without offset are read in it. */
const berlinOffset = (t: number) =>
  new Intl.DateTimeFormat("en", { timeZone: "Europe/Berlin", timeZoneName: "longOffset" }).format(t);

// The devices' clock starts some hours ago on a whole hour and runs 240 times faster,
// so that three hours of readings are sent in under a minute, all in the past; a
// window holding a clock change (whose repeated local hour Tasmota's time cannot
// tell apart) is moved a few hours back.
function windowStart(): number {
  let start = Math.floor((Date.now() - 5 * HOUR) / HOUR) * HOUR;
  while (berlinOffset(start) !== berlinOffset(start + 4 * HOUR)) start -= 5 * HOUR;
  return start;
}
const clockStart = windowStart();
const SPEED = 240;
const from = clockStart + QUARTER;
const to = clockStart + 2 * HOUR + 45 * MINUTE;

const FAULTS = {
  reset: { device: "dsmr-0001", at: clockStart + 50 * MINUTE },
  tasmotaExchange: { device: "tasmota-0001", at: clockStart + HOUR + 20 * MINUTE },
  dsmrExchange: { device: "dsmr-0002", at: clockStart + 2 * HOUR + 5 * MINUTE },
  gap: { device: "tasmota-0002", at: clockStart + 40 * MINUTE, until: clockStart + 75 * MINUTE },
};
const SIM_METER_FAULTS = [
  `reset:${FAULTS.reset.device}@50m`,
  `exchange:${FAULTS.tasmotaExchange.device}@1h20m`,
  `exchange:${FAULTS.dsmrExchange.device}@2h5m`,
  `gap:${FAULTS.gap.device}@40m/35m`,
].join(",");
const METERS_A = ["dsmr-0001", "dsmr-0002", "tasmota-0001", "tasmota-0002"];
const METER_B = "meter-0001";

const NO_DEVICES = {
  SIM_TRAFFIC_COUNTERS: "0",
  SIM_HOUSEHOLD_METERS: "0",
  SIM_DSMR_METERS: "0",
  SIM_TASMOTA_METERS: "0",
  SIM_AIR_SENSORS: "0",
  SIM_PARKING_SENSORS: "0",
  SIM_ENVIRONMENT_SENSORS: "0",
  SIM_WATER_GAUGES: "0",
  SIM_WEATHER_STATIONS: "0",
};

interface Registry {
  tenants: unknown[];
  deviceTypes: Array<{ id: string }>;
  devices: Array<{ id: string; district: string }>;
}

const registryOf = (fleet: Record<string, string>) =>
  parse(
    execFileSync(process.execPath, [join(repositoryRoot(), "services/simulator/src/registry-file.ts")], {
      env: { PATH: process.env.PATH ?? "", ...fleet },
      encoding: "utf8",
    }),
  ) as Registry;

interface Stored {
  readonly at: number;
  readonly import: number;
  readonly export: number;
  readonly serial?: string;
}

const iso = (t: number) => new Date(t).toISOString();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
// biome-ignore lint/suspicious/noExplicitAny: an answer's shape is what the assertions check
type Json = any;

/** The register at a boundary as the docs define it: its last reading at or before it, at most 5 minutes old. */
function registerAt(readings: readonly Stored[], boundary: number): Stored | undefined {
  let last: Stored | undefined;
  for (const r of readings) if (r.at <= boundary) last = r;
  return last !== undefined && boundary - last.at <= TOLERANCE ? last : undefined;
}

describe("meter data from the simulated household meters through the whole pipeline", () => {
  const dir = mkdtempSync(join(tmpdir(), "sf-meter-e2e-"));
  const prefix = uniqueName("meters");
  const tenantA = uniqueName("sw");
  // startPipeline declares `<tenant>-other` to the writer: utility B.
  const tenantB = `${tenantA}-other`;
  const readerA = `${tenantA}-metering`;
  const readerB = `${tenantB}-metering`;
  const fleetA = {
    ...NO_DEVICES,
    SIM_TENANT: tenantA,
    SIM_TOPIC_PREFIX: prefix,
    SIM_DSMR_METERS: "2",
    SIM_TASMOTA_METERS: "2",
  };
  const fleetB = { ...NO_DEVICES, SIM_TENANT: tenantB, SIM_TOPIC_PREFIX: prefix, SIM_HOUSEHOLD_METERS: "1" };
  let pipeline: Pipeline;
  let api: WorkerProcess;
  let base: string;
  let tokenA: string;
  let tokenB: string;
  let districtA: string;
  let districtB: string;
  const stored = new Map<string, Stored[]>();

  const get = (path: string, token: string) =>
    fetch(`${base}${path}`, { headers: { authorization: `Bearer ${token}` } });
  const json = async (path: string, token: string): Promise<Json> => {
    const response = await get(path, token);
    expect(response.status, path).toBe(200);
    return response.json();
  };

  const rawOf = async (tenant: string, device: string): Promise<Stored[]> => {
    const rows = await pipeline.query(
      `SELECT "active_import","active_export","${METER_SERIAL_FIELD}" FROM "energy" WHERE "device"='${device}' AND time >= '${iso(from - HOUR)}'`,
      [databaseName(tenant, "personal")],
    );
    return rows
      .filter((row) => typeof row.active_import === "number")
      .map((row) => ({
        at: Number(row.time),
        import: Number(row.active_import),
        export: Number(row.active_export ?? 0),
        ...(typeof row[METER_SERIAL_FIELD] === "string" ? { serial: row[METER_SERIAL_FIELD] as string } : {}),
      }));
  };

  beforeAll(async () => {
    const registryA = registryOf(fleetA);
    const registryB = registryOf(fleetB);
    districtA = registryA.devices[0]?.district ?? "";
    districtB = registryB.devices[0]?.district ?? "";
    const registryFile = join(dir, "registry.yaml");
    writeFileSync(
      registryFile,
      stringify({
        tenants: [...registryA.tenants, ...registryB.tenants],
        deviceTypes: [
          ...registryA.deviceTypes,
          ...registryB.deviceTypes.filter((t) => !registryA.deviceTypes.some((a) => a.id === t.id)),
        ],
        devices: [...registryA.devices, ...registryB.devices],
      }),
    );
    pipeline = await startPipeline(
      servers,
      {
        bridge: {
          MQTT_SOURCES: JSON.stringify([
            {
              id: "city",
              url: servers.mqttUrl,
              clientId: `${prefix}-bridge`,
              subscriptions: mqttSubscriptions({ tenant: tenantA, topicPrefix: prefix }),
            },
          ]),
        },
        normalizer: { NORMALIZER_REGISTRY: registryFile, NORMALIZER_OBSERVATION_VERSION: "4" },
      },
      { tenant: tenantA },
    );

    const clock = { SIM_CLOCK_START: iso(clockStart), SIM_CLOCK_SPEED: String(SPEED) };
    const simulators = [
      await startWorker("simulator", {
        MQTT_URL: servers.mqttUrl,
        SIM_RATE: "40",
        SIM_SEED: "20",
        SIM_METER_FAULTS,
        ...clock,
        ...fleetA,
      }),
      await startWorker("simulator", {
        MQTT_URL: servers.mqttUrl,
        SIM_RATE: "10",
        SIM_SEED: "21",
        ...clock,
        ...fleetB,
      }),
    ];
    // Until every meter has a stored reading well past the period, then stop the simulators.
    const deadline = Date.now() + 150_000;
    const newest = async (tenant: string, device: string) => (await rawOf(tenant, device)).at(-1)?.at ?? 0;
    const past = async () =>
      (await Promise.all([...METERS_A.map((m) => newest(tenantA, m)), newest(tenantB, METER_B)])).every(
        (at) => at >= to + 10 * MINUTE,
      );
    while (!(await past())) {
      if (Date.now() > deadline) throw new Error(`readings up to ${iso(to)} not stored in time`);
      await sleep(500);
    }
    await Promise.all(simulators.map((s) => s.stop()));
    // Each device's readings arrive in order; wait until the period's readings stop changing.
    const count = async () => {
      let n = 0;
      for (const m of METERS_A) n += (await rawOf(tenantA, m)).filter((r) => r.at <= to).length;
      return n;
    };
    let last = -1;
    for (let now = await count(); now !== last; now = await count()) {
      if (Date.now() > deadline) throw new Error("the stored readings kept changing");
      last = now;
      await sleep(1_000);
    }
    for (const m of METERS_A) stored.set(m, await rawOf(tenantA, m));

    const declaration = join(dir, "platform.yaml");
    writeFileSync(
      declaration,
      [
        "tenants:",
        ...[tenantA, tenantB].flatMap((id) => [`  - id: ${id}`, `    name: ${id}`, "    kind: utility"]),
        "readers:",
        ...[
          [readerA, tenantA],
          [readerB, tenantB],
        ].flatMap(([name, tenant]) => [`  - name: ${name}`, "    read:", `      ${tenant}: [personal]`]),
      ].join("\n"),
    );
    const tokensFile = join(dir, "tokens.json");
    const create = async (reader: string) =>
      (
        await promisify(execFile)(
          process.execPath,
          [
            join(repositoryRoot(), "services/meter-data-api/src/token-command.ts"),
            "create",
            "--reader",
            reader,
            "--expires",
            "1d",
            "--declaration",
            declaration,
            "--tokens-file",
            tokensFile,
          ],
          { env: { PATH: process.env.PATH ?? "" } },
        )
      ).stdout.trim();
    tokenA = await create(readerA);
    tokenB = await create(readerB);
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    api = await startWorker("meter-data-api", {
      INFLUX_URL: servers.influxUrl,
      METER_DECLARATION: declaration,
      METER_TOKENS_FILE: tokensFile,
      METER_ACCESS_LOG_DIR: join(dir, "access"),
      METER_API_HOST: "127.0.0.1",
      METER_API_PORT: String(port),
    });
  }, 240_000);

  afterAll(async () => {
    await api?.stop();
    await pipeline?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const period = `from=${iso(from)}&to=${iso(to)}`;
  const boundaries = Array.from({ length: (to - from) / QUARTER + 1 }, (_, n) => from + n * QUARTER);

  /** The intervals the stored readings give directly, knowing where the faults were injected. */
  function expectedProfile(meter: string) {
    const readings = stored.get(meter) ?? [];
    const faults = Object.values(FAULTS).filter((f) => f.device === meter && !("until" in f));
    return boundaries.slice(0, -1).map((start, n) => {
      const end = boundaries[n + 1] as number;
      const a = registerAt(readings, start);
      const b = registerAt(readings, end);
      if (a === undefined || b === undefined) return { start, status: "gap" as const };
      const fault = faults.find((f) => a.at < f.at && f.at <= b.at);
      if (fault) return { start, status: "fault" as const };
      return { start, status: "ok" as const, import: b.import - a.import, export: b.export - a.export };
    });
  }

  it("every meter's load profile equals the register's rise computed from the stored readings", async () => {
    for (const meter of METERS_A) {
      const profile = await json(`/v1/meters/${meter}/load-profile?${period}`, tokenA);
      const expected = expectedProfile(meter);
      expect(profile.intervals).toHaveLength(expected.length);
      expect(expected.filter((e) => e.status === "ok").length).toBeGreaterThan(expected.length / 2);
      for (const [n, interval] of profile.intervals.entries()) {
        const want = expected[n] as (typeof expected)[number];
        expect(Date.parse(interval.start)).toBe(want.start);
        if (want.status === "gap") expect([interval.importStatus, interval.import]).toEqual(["gap", null]);
        else if (want.status === "fault") expect(["reset", "exchange"]).toContain(interval.importStatus);
        else {
          expect(interval.importStatus, `${meter} ${interval.start}`).toBe("ok");
          expect(interval.import).toBeCloseTo(want.import, 6);
          expect(interval.export).toBeCloseTo(want.export, 6);
        }
      }
    }
  });

  it("the injected reset is flagged, not a negative consumption", async () => {
    const { device, at } = FAULTS.reset;
    const profile = await json(`/v1/meters/${device}/load-profile?${period}`, tokenA);
    const readings = stored.get(device) ?? [];
    const first = readings.find((r) => r.at >= at) as Stored;
    const before = readings.filter((r) => r.at < at).at(-1) as Stored;
    expect(profile.events).toContainEqual(
      expect.objectContaining({ register: "active_import", kind: "reset", reason: "register fell" }),
    );
    const event = profile.events.find((e: { register: string }) => e.register === "active_import");
    expect(Date.parse(event.at)).toBe(first.at);
    expect(event.before).toBeCloseTo(before.import, 6);
    expect(event.after).toBeCloseTo(first.import, 6);
    expect(first.import).toBeLessThan(1);
    const across = profile.intervals.find(
      (i: { start: string }) => Date.parse(i.start) < first.at && first.at <= Date.parse(i.start) + QUARTER,
    );
    expect(["reset", "gap"]).toContain(across.importStatus);
    expect(across.import).toBeNull();
    for (const interval of profile.intervals)
      if (interval.import !== null) expect(interval.import).toBeGreaterThanOrEqual(0);
  });

  it("both injected exchanges show as a new serial behind the same device id, DSMR and Tasmota", async () => {
    for (const { device, at } of [FAULTS.tasmotaExchange, FAULTS.dsmrExchange]) {
      const profile = await json(`/v1/meters/${device}/load-profile?${period}`, tokenA);
      const readings = stored.get(device) ?? [];
      const first = readings.find((r) => r.at >= at) as Stored;
      const before = readings.filter((r) => r.at < at).at(-1) as Stored;
      expect(before.serial).toBeDefined();
      expect(first.serial).toBeDefined();
      expect(first.serial).not.toBe(before.serial);
      expect(first.import).toBeLessThan(before.import);
      const event = profile.events.find((e: { register: string }) => e.register === "active_import");
      expect(event).toMatchObject({
        kind: "exchange",
        reason: "serial changed",
        serialBefore: before.serial,
        serialAfter: first.serial,
      });
      expect(Date.parse(event.at)).toBe(first.at);
      // Nothing else happened to this meter in the period.
      expect(
        profile.events.every((e: { kind: string; at: string }) => e.kind === "exchange" && e.at === event.at),
      ).toBe(true);
      const across = profile.intervals.find(
        (i: { start: string }) => Date.parse(i.start) < first.at && first.at <= Date.parse(i.start) + QUARTER,
      );
      expect(["exchange", "gap"]).toContain(across.importStatus);
    }
  });

  it("the injected gap is flagged, never filled, and the register counted on across it", async () => {
    const { device, at, until } = FAULTS.gap;
    const readings = stored.get(device) ?? [];
    expect(readings.filter((r) => r.at >= at && r.at < until)).toEqual([]);
    const profile = await json(`/v1/meters/${device}/load-profile?${period}`, tokenA);
    // Every interval with a boundary more than 5 minutes into the gap has no reading for it.
    const gapped = profile.intervals.filter((i: { start: string; end: string }) => {
      const start = Date.parse(i.start);
      const end = Date.parse(i.end);
      return [start, end].some((b) => b > at + TOLERANCE && b < until);
    });
    expect(gapped.length).toBeGreaterThanOrEqual(2);
    for (const interval of gapped) expect([interval.importStatus, interval.import]).toEqual(["gap", null]);
    expect(profile.events).toEqual([]);
    const after = readings.find((r) => r.at >= until) as Stored;
    const before = readings.filter((r) => r.at < at).at(-1) as Stored;
    expect(after.import).toBeGreaterThan(before.import);
  });

  it("a group's load profiles are each meter's own, streamed, as German CSV too", async () => {
    const group = await json(`/v1/load-profiles?meters=${METERS_A.join(",")}&${period}`, tokenA);
    expect(group.meters.map((m: { meter: string }) => m.meter)).toEqual(METERS_A);
    for (const entry of group.meters) {
      const single = await json(`/v1/meters/${entry.meter}/load-profile?${period}`, tokenA);
      expect(entry.intervals).toEqual(single.intervals);
    }
    const csv = await (
      await get(`/v1/load-profiles?district=${encodeURIComponent(districtA)}&${period}&format=csv&dialect=de`, tokenA)
    ).text();
    const rows = csv.trimEnd().split("\r\n");
    expect(rows[0]).toBe("meter;start;end;import_kwh;import_status;export_kwh;export_status");
    expect(rows.length).toBeGreaterThan(1);
    expect(rows.slice(1).every((row) => METERS_A.includes(row.split(";")[0] as string))).toBe(true);
  });

  it("utility A's token never sees a byte of utility B: 404 for B's meter, nothing of B in a group", async () => {
    // B's meter went through the same pipeline and B's own token reads it.
    const own = await json(`/v1/meters/${METER_B}/load-profile?${period}`, tokenB);
    expect(own.intervals.some((i: { importStatus: string }) => i.importStatus === "ok")).toBe(true);

    for (const path of [
      `/v1/meters/${METER_B}/load-profile?${period}`,
      `/v1/meters/${METER_B}/latest`,
      `/v1/meters/${METER_B}/totals?${period}`,
      `/v1/load-profiles?meters=${METERS_A[0]},${METER_B}&${period}`,
    ]) {
      const response = await get(path, tokenA);
      expect(response.status, path).toBe(404);
      expect(await response.text()).not.toContain(tenantB);
    }
    for (const path of [
      `/v1/load-profiles?meters=${METERS_A.join(",")}&${period}`,
      `/v1/load-profiles?district=${encodeURIComponent(districtA)}&${period}&format=csv`,
      // B's district, asked for with A's token: none of B's meters in it.
      `/v1/load-profiles?district=${encodeURIComponent(districtB)}&${period}`,
    ]) {
      const body = await (await get(path, tokenA)).text();
      expect(body).not.toContain(METER_B);
      expect(body).not.toContain(tenantB);
    }
    // ...and A's meters are as invisible to B.
    expect((await get(`/v1/meters/${METERS_A[0]}/latest`, tokenB)).status).toBe(404);
  });
});
