import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Secret } from "@stadtfluss/config";
import { influxQL, quoteIdentifier, seriesRows } from "@stadtfluss/influx";
import { uniqueName } from "@stadtfluss/testing";
import { afterEach, describe, expect, inject, it } from "vitest";
import { ApplyRefusedError, applyPlan } from "./apply.ts";
import { readCurrentStorage } from "./current-storage.ts";
import type { DesiredStorage } from "./desired-storage.ts";
import { plan } from "./plan.ts";
import { runPlatform } from "./platform-command.ts";

const influx = inject("influxAuth");
const admin = { url: influx.url, token: new Secret(`${influx.username}:${influx.password}`) };
const DAY = 86_400_000;

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

/** A declaration of its own per test: two municipalities' databases, a utility's, and who reads what. */
function declaration() {
  const prefix = uniqueName("p").replaceAll("-", "_");
  const name = (suffix: string) => `${prefix}_${suffix}`;
  const desired: DesiredStorage = {
    databases: [
      { name: name("a_public"), retentionMs: 5 * 365 * DAY },
      { name: name("a_personal"), retentionMs: 396 * DAY },
      { name: name("b_public"), retentionMs: null },
    ],
    principals: [
      { name: name("a_planners"), read: [name("a_public")], write: [] },
      { name: name("utility"), read: [name("a_personal")], write: [] },
      { name: name("writer"), read: [], write: [name("a_public"), name("a_personal"), name("b_public")] },
    ],
  };
  const credentials = mkdtempSync(join(tmpdir(), "sf-platform-"));
  const manages = (n: string) => n.startsWith(prefix);
  cleanups.push(async () => {
    rmSync(credentials, { recursive: true, force: true });
    const current = await readCurrentStorage(admin);
    const at = { ...admin, database: "" };
    for (const user of current.users.filter((u) => manages(u.name)))
      await influxQL(at, `DROP USER ${quoteIdentifier(user.name)}`, { method: "POST" });
    for (const database of current.databases.filter((d) => manages(d.name)))
      await influxQL(at, `DROP DATABASE ${quoteIdentifier(database.name)}`, { method: "POST" });
  });
  return { name, desired, credentials, manages };
}

/** The `user:password` a created user's file holds, as a Token for 1.8's endpoints. */
function credentialOf(dir: string, user: string) {
  return new Secret(readFileSync(join(dir, `${user}.token`), "utf8").trim());
}

async function write(token: Secret, database: string, line: string): Promise<number> {
  const answer = await fetch(`${influx.url}/api/v2/write?bucket=${database}&precision=ms`, {
    method: "POST",
    headers: { authorization: `Token ${token.reveal()}` },
    body: line,
  });
  return answer.status;
}

describe("platform plan and apply against the auth-enabled InfluxDB 1.6.7", () => {
  it("creates what is declared, is in sync afterwards, and each credential reaches exactly its databases", async () => {
    const { name, desired, credentials, manages } = declaration();
    const before = plan(await readCurrentStorage(admin), desired, { manages });
    expect(before.map((step) => step.kind)).toEqual([
      ...Array(3).fill("create-database"),
      ...Array(3).fill("create-user"),
      ...Array(5).fill("grant"),
    ]);

    const { credentialFiles } = await applyPlan(admin, before, { credentialsDir: credentials });
    expect(plan(await readCurrentStorage(admin), desired, { manages })).toEqual([]);
    expect(credentialFiles.sort()).toEqual(
      ["a_planners", "utility", "writer"].map((user) => join(credentials, `${name(user)}.token`)).sort(),
    );
    for (const file of credentialFiles) expect(statSync(file).mode & 0o777).toBe(0o600);

    const [policies = []] = await influxQL(
      { ...admin, database: "" },
      `SHOW RETENTION POLICIES ON ${quoteIdentifier(name("a_personal"))}`,
    );
    expect(seriesRows(policies)).toMatchObject([{ name: "autogen", duration: "9504h0m0s", default: true }]);

    const writer = credentialOf(credentials, name("writer"));
    const planners = credentialOf(credentials, name("a_planners"));
    const utility = credentialOf(credentials, name("utility"));
    // Points inside the retention: older ones InfluxDB drops on write.
    const t = Date.now() - 60_000;
    expect(await write(writer, name("a_public"), `traffic count=3 ${t}`)).toBe(204);
    expect(await write(writer, name("a_personal"), `meter energy=7 ${t}`)).toBe(204);
    expect(await write(planners, name("a_public"), `traffic count=4 ${t + 1}`)).toBe(403);

    const select = (token: Secret, database: string, measurement: string) =>
      influxQL({ url: influx.url, token, database }, `SELECT * FROM ${quoteIdentifier(measurement)}`);
    const [rows = []] = await select(planners, name("a_public"), "traffic");
    expect(seriesRows(rows)).toEqual([{ time: t, count: 3 }]);
    await expect(select(planners, name("b_public"), "traffic")).rejects.toThrow(/403.*not authorized/);
    await expect(select(planners, name("a_personal"), "meter")).rejects.toThrow(/403.*not authorized/);
    const [meter = []] = await select(utility, name("a_personal"), "meter");
    expect(seriesRows(meter)).toEqual([{ time: t, energy: 7 }]);
    await expect(select(utility, name("a_public"), "traffic")).rejects.toThrow(/403.*not authorized/);
    await expect(select(writer, name("a_public"), "traffic")).rejects.toThrow(/403.*not authorized/);
  });

  it("refuses destructive changes without the flag, changing nothing, and runs them with it", async () => {
    const { name, desired, credentials, manages } = declaration();
    await applyPlan(admin, plan(await readCurrentStorage(admin), desired, { manages }), {
      credentialsDir: credentials,
    });

    const shrunk: DesiredStorage = {
      databases: desired.databases
        .filter((d) => d.name !== name("b_public"))
        .map((d) => (d.name === name("a_personal") ? { ...d, retentionMs: 30 * DAY } : d)),
      principals: [
        // The planners lose a_public and read a_personal now; the writer is no longer declared.
        { name: name("a_planners"), read: [name("a_personal")], write: [] },
        { name: name("utility"), read: [name("a_personal")], write: [] },
      ],
    };
    const steps = plan(await readCurrentStorage(admin), shrunk, { manages });
    expect(steps.filter((s) => s.destructive).map((s) => s.kind)).toEqual(["set-retention", "drop-database"]);
    await expect(applyPlan(admin, steps, { credentialsDir: credentials })).rejects.toThrow(ApplyRefusedError);
    // Nothing ran: the plan is the same as before the refused apply.
    expect(plan(await readCurrentStorage(admin), shrunk, { manages })).toEqual(steps);

    await applyPlan(admin, steps, { credentialsDir: credentials, allowDestructive: true });
    expect(plan(await readCurrentStorage(admin), shrunk, { manages })).toEqual([]);
    const current = await readCurrentStorage(admin);
    expect(current.databases.filter((d) => manages(d.name)).map((d) => [d.name, d.defaultPolicy?.retentionMs])).toEqual(
      expect.arrayContaining([
        [name("a_public"), 5 * 365 * DAY],
        [name("a_personal"), 30 * DAY],
      ]),
    );
    expect(current.databases.map((d) => d.name)).not.toContain(name("b_public"));
    expect(current.users.map((u) => u.name)).not.toContain(name("writer"));
    const planners = credentialOf(credentials, name("a_planners"));
    await expect(
      influxQL({ url: influx.url, token: planners, database: name("a_public") }, "SHOW MEASUREMENTS"),
    ).rejects.toThrow(/403/);
  });

  it("`pnpm platform` plans from the registry declaration, applies with credentials only in 0600 files, says in sync, and names a bad setting", async () => {
    // Tenant ids of this test alone; every name the declaration yields starts with the prefix.
    const prefix = uniqueName("p").replaceAll(/[^a-z0-9]/g, "");
    const [a, b, utility] = [`${prefix}a`, `${prefix}b`, `${prefix}u`];
    const folder = mkdtempSync(join(tmpdir(), "sf-declaration-"));
    const credentials = mkdtempSync(join(tmpdir(), "sf-platform-"));
    const declare = (tenants: string[]) =>
      writeFileSync(
        join(folder, "platform.yaml"),
        [
          "tenants:",
          ...tenants.map(
            (id) => `  - { id: ${id}, name: ${id}, kind: ${id === utility ? "utility" : "municipality"} }`,
          ),
          "readers:",
          `  - { name: ${a}-planners, read: { ${a}: [public] } }`,
          `  - { name: ${utility}-metering, read: { ${utility}: [personal] } }`,
        ].join("\n"),
      );
    declare([a, b, utility]);
    const passwordFile = join(credentials, "..", `${prefix}-admin.password`);
    writeFileSync(passwordFile, influx.password);
    cleanups.push(async () => {
      rmSync(folder, { recursive: true, force: true });
      rmSync(credentials, { recursive: true, force: true });
      rmSync(passwordFile, { force: true });
      const current = await readCurrentStorage(admin);
      const at = { ...admin, database: "" };
      for (const user of current.users.filter((u) => u.name.startsWith(prefix)))
        await influxQL(at, `DROP USER ${quoteIdentifier(user.name)}`, { method: "POST" });
      for (const database of current.databases.filter((d) => d.name.startsWith(prefix)))
        await influxQL(at, `DROP DATABASE ${quoteIdentifier(database.name)}`, { method: "POST" });
    });
    const environment = {
      PATH: process.env.PATH,
      INFLUX_URL: influx.url,
      INFLUX_USERNAME: influx.username,
      INFLUX_PASSWORD_FILE: passwordFile,
      PLATFORM_MANAGED_PREFIX: prefix,
    };
    const run = (args: string[], env: Record<string, string | undefined> = environment) => runPlatform(args, env);

    const planned = await run(["plan", "--declaration", folder]);
    expect(planned.code).toBe(0);
    expect(planned.stdout).toContain(`+ create database ${utility}_personal (retention 396d)`);
    expect(planned.stdout).toContain(`+ grant READ on ${a}_public to ${a}-planners`);
    expect(planned.stdout).not.toContain(`on ${b}_public to ${a}-planners`);

    const applied = await run(["apply", "--declaration", folder, "--credentials-dir", credentials]);
    expect(applied.code).toBe(0);
    expect(applied.stdout).toMatch(/applied \d+ change\(s\); in sync/);
    for (const user of [`${a}-planners`, `${utility}-metering`]) {
      const path = join(credentials, `${user}.token`);
      expect(applied.stdout).toContain(`credential written to ${path}`);
      expect(statSync(path).mode & 0o777).toBe(0o600);
      const password = readFileSync(path, "utf8").trim().split(":")[1] ?? "";
      expect(password.length).toBeGreaterThan(20);
      expect(`${applied.stdout}${applied.stderr}`).not.toContain(password);
    }
    expect(`${applied.stdout}${applied.stderr}`).not.toContain(influx.password);
    // What InfluxDB enforces: the planners read their own public data and nothing else.
    const planners = credentialOf(credentials, `${a}-planners`);
    const show = (database: string) => influxQL({ url: influx.url, token: planners, database }, "SHOW MEASUREMENTS");
    await expect(show(`${a}_public`)).resolves.toBeDefined();
    await expect(show(`${a}_personal`)).rejects.toThrow(/403/);
    await expect(show(`${b}_public`)).rejects.toThrow(/403/);

    const again = await run(["plan", "--declaration", folder]);
    expect(again).toMatchObject({ code: 0, stdout: "in sync\n" });

    // A tenant leaves: its databases would be dropped, which needs --allow-destructive.
    declare([a, utility]);
    const shrunk = await run(["plan", "--declaration", folder]);
    expect(shrunk.stdout).toContain(`! drop database ${b}_public`);
    expect(shrunk.stdout).toMatch(/3 destructive \(apply needs --allow-destructive\)/);
    const refused = await run(["apply", "--declaration", folder, "--credentials-dir", credentials]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("refusing 3 destructive step(s) without --allow-destructive");
    expect(await run(["plan", "--declaration", folder])).toMatchObject({ stdout: shrunk.stdout });

    const bad = await run(["plan", "--declaration", folder], { ...environment, INFLUX_URL: "ftp://nowhere" });
    expect(bad.code).toBe(78);
    expect(bad.stderr).toContain("INFLUX_URL");
  });
});
