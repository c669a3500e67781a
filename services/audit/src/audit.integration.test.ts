import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { createDatabase } from "@stadtfluss/influx";
import { repositoryRoot, uniqueName } from "@stadtfluss/testing";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";

const servers = inject("servers");

interface Run {
  readonly code: number;
  readonly stdout: string;
}

/** The audit command as an operator runs it, against the real InfluxDB, with the writer's settings. */
async function audit(database: string, ...args: string[]): Promise<Run> {
  return auditWith({ INFLUX_URL: servers.influxUrl, INFLUX_BUCKET: database }, ...args);
}

async function auditWith(settings: Record<string, string>, ...args: string[]): Promise<Run> {
  try {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [join(repositoryRoot(), "services/audit/src/main.ts"), "--from", "2h", ...args],
      { env: { PATH: process.env.PATH ?? "", ...settings } },
    );
    return { code: 0, stdout };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    if (typeof failed.code !== "number") throw error;
    return { code: failed.code, stdout: `${failed.stdout ?? ""}${failed.stderr ?? ""}` };
  }
}

describe("audit command", () => {
  const database = uniqueName("audit").replaceAll("-", "_");
  // An hour ago, so that the points lie inside `--from 2h` whenever the test runs.
  const start = Date.now() - 3_600_000;
  const at = (second: number) => start + second * 1000;

  beforeAll(async () => {
    await createDatabase({ url: servers.influxUrl, database });
    const lines = [
      // Numbers 5 to 9 only: 0 to 4 were lost before the range shows anything.
      ...[5, 6, 7, 8, 9].map(
        (seq) => `traffic,tenant=musterstadt,source=city,device=late vehicle_count=1,seq=${seq}i ${at(seq)}`,
      ),
      // One id, two tenants, each with gaps the other would fill.
      ...[0, 2, 4].map(
        (seq) => `traffic,tenant=musterstadt,source=city,device=shared vehicle_count=1,seq=${seq}i ${at(seq)}`,
      ),
      ...[1, 3, 5].map(
        (seq) => `traffic,tenant=nachbarstadt,source=city,device=shared vehicle_count=1,seq=${seq}i ${at(seq)}`,
      ),
      // No counter: four messages, each a point in two measurements.
      ...[0, 1, 2, 3].flatMap((n) => [
        `air,tenant=musterstadt,source=city,device=esp-1 pm10=${n} ${at(n)}`,
        `radio,tenant=musterstadt,source=city,device=esp-1 rssi=-80 ${at(n)}`,
      ]),
    ];
    const written = await fetch(`${servers.influxUrl}/api/v2/write?bucket=${database}&precision=ms`, {
      method: "POST",
      body: lines.join("\n"),
    });
    expect(written.status).toBe(204);
  });

  it("keeps one device id under two tenants apart and lists devices without a counter as not provable", async () => {
    const { code, stdout } = await audit(database, "--json");
    const report = JSON.parse(stdout);
    expect(code).toBe(1);
    expect(report.devices.map((d: Record<string, unknown>) => [d.tenant, d.source, d.device, d.gaps])).toEqual([
      ["musterstadt", "city", "late", []],
      [
        "musterstadt",
        "city",
        "shared",
        [
          [1, 1],
          [3, 3],
        ],
      ],
      [
        "nachbarstadt",
        "city",
        "shared",
        [
          [2, 2],
          [4, 4],
        ],
      ],
    ]);
    expect(report.missing).toBe(4);
    expect(report.withoutCounter).toEqual([{ tenant: "musterstadt", source: "city", device: "esp-1", points: 4 }]);
  });

  it("finds losses at the start of the range when the expected numbers are given", async () => {
    const { code, stdout } = await audit(
      database,
      "--device",
      "late",
      "--expect-from",
      "0",
      "--expect-to",
      "9",
      "--json",
    );
    expect(code).toBe(1);
    const [late] = JSON.parse(stdout).devices;
    expect([late.gaps, late.missing, late.edgesChecked]).toEqual([[[0, 4]], 5, { start: true, end: true }]);
  });

  it("reports a device that was expected but stored nothing at all as missing every number", async () => {
    const { code, stdout } = await audit(
      database,
      "--device",
      "ghost",
      "--expect-from",
      "0",
      "--expect-to",
      "3",
      "--json",
    );
    expect(code).toBe(1);
    expect(JSON.parse(stdout).devices).toEqual([
      expect.objectContaining({ device: "ghost", messages: 0, gaps: [[0, 3]], missing: 4 }),
    ]);
  });

  it("says in its text what it cannot prove: devices without a counter, and the edges of each range", async () => {
    const { code, stdout } = await audit(database, "--tenant", "musterstadt");
    expect(code).toBe(1);
    expect(stdout).toMatch(/^musterstadt +city +esp-1 +4 *$/m);
    expect(stdout).toContain("1 device without a counter (4 points): losses and duplicates cannot be proven for it.");
    expect(stdout).toContain("Losses before the first and after the last stored sequence number of each device");
  });

  it("exits 0 for a device without a counter, which it cannot prove anything about, and 2 for a bad expected range", async () => {
    expect((await audit(database, "--device", "esp-1")).code).toBe(0);
    const bad = await audit(database, "--expect-from", "9", "--expect-to", "3");
    expect(bad.code).toBe(2);
    expect(bad.stdout).toContain("--expect-from must not be above --expect-to");
  });

  it("reads with INFLUX_DATABASE alone, and names the missing database when neither it nor INFLUX_BUCKET is set", async () => {
    const { code, stdout } = await auditWith(
      { INFLUX_URL: servers.influxUrl, INFLUX_DATABASE: database },
      "--device",
      "late",
      "--json",
    );
    expect(code).toBe(0);
    expect(JSON.parse(stdout).devices).toEqual([expect.objectContaining({ device: "late", messages: 5, missing: 0 })]);
    const unset = await auditWith({ INFLUX_URL: servers.influxUrl });
    expect(unset.code).toBe(78);
    expect(unset.stdout).toContain("INFLUX_BUCKET: is required but not set (or INFLUX_DATABASE");
  });
});

describe("audit command over the databases of each declared tenant", () => {
  // Tenant ids of this test alone, so that their databases are its own.
  const prefix = uniqueName("au").replaceAll(/[^a-z0-9]/g, "");
  const [a, b] = [`${prefix}a`, `${prefix}b`];
  const folder = mkdtempSync(join(tmpdir(), "sf-audit-declaration-"));
  const start = Date.now() - 3_600_000;
  const line = (tenant: string, device: string, seq: number) =>
    `traffic,tenant=${tenant},source=city,device=${device} vehicle_count=1,seq=${seq}i ${start + seq * 1000}`;

  beforeAll(async () => {
    writeFileSync(
      join(folder, "platform.yaml"),
      `tenants:\n  - { id: ${a}, name: A, kind: municipality }\n  - { id: ${b}, name: B, kind: utility }\n`,
    );
    const write = async (database: string, lines: string[]) => {
      await createDatabase({ url: servers.influxUrl, database });
      const written = await fetch(`${servers.influxUrl}/api/v2/write?bucket=${database}&precision=ms`, {
        method: "POST",
        body: lines.join("\n"),
      });
      expect(written.status).toBe(204);
    };
    // A device reclassified from public to personal: its numbers are split over two databases.
    await write(
      `${a}_public`,
      [0, 1, 2].map((seq) => line(a, "moved", seq)),
    );
    await write(
      `${a}_personal`,
      [3, 4].map((seq) => line(a, "moved", seq)),
    );
    await write(`${b}_public`, []);
    await write(
      `${b}_personal`,
      [0, 2].map((seq) => line(b, "meter", seq)),
    );
  });
  afterAll(() => rmSync(folder, { recursive: true, force: true }));

  const declared = (...args: string[]) =>
    auditWith({ INFLUX_URL: servers.influxUrl }, "--declaration", folder, "--json", ...args);

  it("audits a tenant over its public and personal databases together, and nothing of another tenant", async () => {
    const { code, stdout } = await declared("--tenant", a);
    expect(code).toBe(0);
    const report = JSON.parse(stdout);
    expect(report.databases).toEqual([`${a}_public`, `${a}_personal`]);
    expect(report.devices).toEqual([expect.objectContaining({ tenant: a, device: "moved", messages: 5, missing: 0 })]);
  });

  it("audits every declared tenant without --tenant", async () => {
    const { code, stdout } = await declared();
    expect(code).toBe(1);
    const report = JSON.parse(stdout);
    expect(report.devices.map((d: { tenant: string; missing: number }) => [d.tenant, d.missing])).toEqual([
      [a, 0],
      [b, 1],
    ]);
  });

  it("refuses an undeclared tenant, and a database setting beside the declaration", async () => {
    const undeclared = await declared("--tenant", `${prefix}x`);
    expect(undeclared.code).toBe(2);
    expect(undeclared.stdout).toContain(`--tenant ${prefix}x is not declared`);
    const ambiguous = await auditWith(
      { INFLUX_URL: servers.influxUrl, INFLUX_BUCKET: "stadtfluss" },
      "--declaration",
      folder,
    );
    expect(ambiguous.code).toBe(78);
    expect(ambiguous.stdout).toContain("INFLUX_BUCKET: excludes --declaration");
  });
});
