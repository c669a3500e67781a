import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Secret } from "@stadtfluss/config";
import { influxQL, observationToPoint, quoteIdentifier, seriesRows } from "@stadtfluss/influx";
import { uniqueName } from "@stadtfluss/testing";
import { afterEach, describe, expect, inject, it } from "vitest";
import { readCurrentStorage } from "./current-storage.ts";
import { runPlatform } from "./platform-command.ts";

const influx = inject("influxAuth");
const admin = { url: influx.url, token: new Secret(`${influx.username}:${influx.password}`) };
const at = { ...admin, database: "" };
const DAY = 86_400_000;

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

type Observation = Parameters<typeof observationToPoint>[0];

/** A point as the writer wrote it into the one bucket before tenants: tenant and privacy as tags. */
function oldLayoutLine(observation: Omit<Observation, "unit" | "receivedAt">): string {
  return observationToPoint({ ...observation, unit: "-", receivedAt: observation.observedAt } as Observation)
    .toLineProtocol()
    ?.toString() as string;
}

async function writeLines(database: string, lines: readonly string[]): Promise<void> {
  const answer = await fetch(`${influx.url}/api/v2/write?bucket=${database}&precision=ns`, {
    method: "POST",
    headers: { authorization: `Token ${admin.token.reveal()}` },
    body: lines.join("\n"),
  });
  expect(answer.status, await answer.text()).toBe(204);
}

/** Every series key (measurement and tags) and every point (time, tags as columns, fields) of a database. */
async function contentsOf(database: string) {
  const [series = []] = await influxQL(at, `SHOW SERIES ON ${quoteIdentifier(database)}`);
  const [points = []] = await influxQL({ ...admin, database }, "SELECT * FROM /.*/");
  return {
    series: seriesRows(series)
      .map((row) => String(row.key))
      .sort(),
    points: points.flatMap((s) => seriesRows([s]).map((row) => ({ measurement: s.name, ...row }))),
  };
}

/** Field values per database and measurement: what a second run must leave unchanged. */
async function valueCounts(databases: readonly string[]) {
  const counts: Record<string, unknown> = {};
  for (const database of databases) {
    const [series = []] = await influxQL({ ...admin, database }, "SELECT count(*) FROM /.*/");
    counts[database] = seriesRows(series);
  }
  return counts;
}

describe("pnpm platform migrate against the auth-enabled InfluxDB 1.6.7", () => {
  it("moves the single-bucket layout into the database of each tenant and class, with tags and fields intact, in time windows or at once, leaves undeclared tenants behind, and a second run changes nothing", async () => {
    const prefix = uniqueName("m").replaceAll(/[^a-z0-9]/g, "");
    const [a, b, utility, undeclared] = [`${prefix}a`, `${prefix}b`, `${prefix}u`, `${prefix}x`];
    // Not under the managed prefix: `apply` must not see the old database as its own to drop.
    const old = `stadtfluss_${prefix}`;
    const folder = mkdtempSync(join(tmpdir(), "sf-declaration-"));
    const credentials = mkdtempSync(join(tmpdir(), "sf-platform-"));
    const passwordFile = join(credentials, "..", `${prefix}-admin.password`);
    writeFileSync(passwordFile, influx.password);
    cleanups.push(async () => {
      rmSync(folder, { recursive: true, force: true });
      rmSync(credentials, { recursive: true, force: true });
      rmSync(passwordFile, { force: true });
      const current = await readCurrentStorage(admin);
      for (const user of current.users.filter((u) => u.name.startsWith(prefix)))
        await influxQL(at, `DROP USER ${quoteIdentifier(user.name)}`, { method: "POST" });
      for (const database of current.databases.filter((d) => d.name.startsWith(prefix) || d.name === old))
        await influxQL(at, `DROP DATABASE ${quoteIdentifier(database.name)}`, { method: "POST" });
    });
    writeFileSync(
      join(folder, "platform.yaml"),
      [
        "tenants:",
        `  - { id: ${a}, name: A, kind: municipality }`,
        `  - { id: ${b}, name: B, kind: municipality }`,
        `  - { id: ${utility}, name: U, kind: utility }`,
        "readers: []",
      ].join("\n"),
    );

    // Whole milliseconds, inside every retention (InfluxDB drops older points on write).
    const t = Math.floor((Date.now() - 3_600_000) / 1000) * 1000;
    const iso = (ms: number) => new Date(ms).toISOString();
    await influxQL(at, `CREATE DATABASE ${quoteIdentifier(old)}`, { method: "POST" });
    const traffic = { kind: "traffic.vehicle_count", source: "city", privacy: "public" } as const;
    await writeLines(old, [
      oldLayoutLine({
        ...traffic,
        tenant: a,
        deviceId: "a-cam-1",
        value: 12,
        observedAt: iso(t),
        seq: 1,
        district: "Altstadt",
      }),
      oldLayoutLine({
        ...traffic,
        tenant: a,
        deviceId: "a-cam-1",
        value: 15,
        observedAt: iso(t + 60_000),
        seq: 2,
        district: "Altstadt",
      }),
      oldLayoutLine({ ...traffic, tenant: b, deviceId: "b-loop-7", value: 4, observedAt: iso(t), seq: 9 }),
      oldLayoutLine({
        tenant: utility,
        deviceId: "meter-1",
        kind: "energy.active_import",
        value: 1234.5,
        observedAt: iso(t),
        source: "dsmr",
        privacy: "personal",
      }),
      // Written before every observation carried a class: no privacy tag at all, so personal.
      `energy,device=meter-2,source=dsmr,tenant=${utility} active_import=99.5,seq=3i ${t}000000`,
      // Older than the utility's personal retention (396 days): InfluxDB would refuse it in the target.
      oldLayoutLine({
        tenant: utility,
        deviceId: "meter-1",
        kind: "energy.active_import",
        value: 1000,
        observedAt: iso(t - 400 * DAY),
        source: "dsmr",
        privacy: "personal",
      }),
      oldLayoutLine({ ...traffic, tenant: undeclared, deviceId: "x-cam", value: 1, observedAt: iso(t), seq: 1 }),
    ]);
    const before = await contentsOf(old);
    expect(before.points).toHaveLength(7);

    const environment = {
      PATH: process.env.PATH,
      INFLUX_URL: influx.url,
      INFLUX_USERNAME: influx.username,
      INFLUX_PASSWORD_FILE: passwordFile,
      PLATFORM_MANAGED_PREFIX: prefix,
    };
    const run = (args: string[], env: Record<string, string | undefined> = environment) => runPlatform(args, env);
    const migrate = ["migrate", "--declaration", folder, "--from", old];

    const planned = await run(migrate);
    expect(planned.code).toBe(0);
    expect(planned.stdout).toContain(
      `SELECT * INTO "${a}_public"."autogen".:MEASUREMENT FROM "${old}"."autogen"./.*/ WHERE "tenant" = '${a}' AND "privacy" = 'public' GROUP BY *;`,
    );
    expect(planned.stdout).toContain(
      `-- ${utility} personal → ${utility}_personal (does not exist yet: run apply first)`,
    );
    const refused = await run([...migrate, "--apply"]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`the target database(s) ${a}_public, ${a}_personal, ${b}_public`);
    expect(refused.stderr).toContain("run `pnpm platform apply --declaration <registry>` first");

    const applied = await run(["apply", "--declaration", folder, "--credentials-dir", credentials]);
    expect(applied.code, applied.stderr).toBe(0);
    // In windows of 30 days (the old layout spans 400): the second run below copies in one statement.
    const migrated = await run([...migrate, "--chunk", "30d", "--apply"]);
    expect(migrated.code, migrated.stderr).toBe(0);

    const targets = [a, b, utility].flatMap((tenant) => [`${tenant}_public`, `${tenant}_personal`]);
    const contents = Object.fromEntries(await Promise.all(targets.map(async (db) => [db, await contentsOf(db)])));
    const aTags = { device: "a-cam-1", district: "Altstadt", privacy: "public", source: "city", tenant: a };
    expect(contents[`${a}_public`]).toEqual({
      series: [`traffic,device=a-cam-1,district=Altstadt,privacy=public,source=city,tenant=${a}`],
      points: [
        { measurement: "traffic", time: t, ...aTags, vehicle_count: 12, seq: 1 },
        { measurement: "traffic", time: t + 60_000, ...aTags, vehicle_count: 15, seq: 2 },
      ],
    });
    expect(contents[`${b}_public`]).toEqual({
      series: [`traffic,device=b-loop-7,privacy=public,source=city,tenant=${b}`],
      points: [
        {
          measurement: "traffic",
          time: t,
          device: "b-loop-7",
          privacy: "public",
          source: "city",
          tenant: b,
          vehicle_count: 4,
          seq: 9,
        },
      ],
    });
    expect(contents[`${utility}_personal`]).toEqual({
      series: [
        `energy,device=meter-1,privacy=personal,source=dsmr,tenant=${utility}`,
        `energy,device=meter-2,source=dsmr,tenant=${utility}`,
      ],
      points: [
        {
          measurement: "energy",
          time: t,
          device: "meter-1",
          privacy: "personal",
          source: "dsmr",
          tenant: utility,
          active_import: 1234.5,
          seq: null,
        },
        {
          measurement: "energy",
          time: t,
          device: "meter-2",
          privacy: null,
          source: "dsmr",
          tenant: utility,
          active_import: 99.5,
          seq: 3,
        },
      ],
    });
    for (const empty of [`${a}_personal`, `${b}_personal`, `${utility}_public`])
      expect(contents[empty]).toEqual({ series: [], points: [] });
    // Fields keep their types: seq stays an integer.
    const [fields = []] = await influxQL(at, `SHOW FIELD KEYS ON ${quoteIdentifier(`${a}_public`)}`);
    expect(seriesRows(fields)).toEqual([
      { fieldKey: "seq", fieldType: "integer" },
      { fieldKey: "vehicle_count", fieldType: "float" },
    ]);
    // A copy, not a move: the old database is unchanged, the undeclared tenant's point only there.
    expect(await contentsOf(old)).toEqual(before);

    expect(migrated.stdout).toContain(`ok ${a}_public traffic: 4 value(s) in ${old}, 4 in ${a}_public`);
    expect(migrated.stdout).toContain(`ok ${utility}_personal energy: 3 value(s) in ${old}, 3 in ${utility}_personal`);
    expect(migrated.stdout).toMatch(
      new RegExp(
        `left in ${old}: 1 value\\(s\\) of ${utility} personal older than \\S+, beyond the retention of ${utility}_personal`,
      ),
    );
    expect(migrated.stdout).toContain(`left in ${old}: 2 value(s) of tenant ${undeclared} (not declared)`);
    expect(migrated.stdout).toContain(`migrated from ${old}; every copied value is in its target`);

    expect(migrated.stdout.match(/^copied \d+ point\(s\) into /gm)?.length).toBeGreaterThan(6 * 13);

    const counts = await valueCounts(targets);
    const again = await run([...migrate, "--apply"]);
    expect(again.code, again.stderr).toBe(0);
    expect(await valueCounts(targets)).toEqual(counts);
    expect(again.stdout).toContain(`ok ${a}_public traffic: 4 value(s) in ${old}, 4 in ${a}_public`);

    const unclear = await run([...migrate, "--chunk", "30", "--apply"]);
    expect(unclear.code).toBe(2);
    expect(unclear.stderr).toContain("--chunk must be a duration");
    const bad = await run([...migrate, "--apply"], { ...environment, INFLUX_URL: "ftp://nowhere" });
    expect(bad.code).toBe(78);
    expect(bad.stderr).toContain("INFLUX_URL");
  });
});
