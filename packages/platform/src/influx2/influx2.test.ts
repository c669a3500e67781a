import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Secret } from "@stadtfluss/config";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ApplyRefusedError } from "../apply.ts";
import type { DesiredStorage } from "../desired-storage.ts";
import { runPlatform } from "../platform-command.ts";
import { Influx2ApiError, influx2Request } from "./api.ts";
import { applyInflux2Plan } from "./apply.ts";
import { readInflux2State } from "./current-state.ts";
import { type InfluxDB2Double, startInfluxDB2Double } from "./influxdb2-double.ts";
import { describeInflux2Step, planInflux2 } from "./plan.ts";

// InfluxData's API descriptions stay outside the repository; `.ci/run` points at them.
const spec = process.env.INFLUXDB2_OPENAPI_SPEC;
const legacySpec = process.env.INFLUXDB_V1_COMPAT_OPENAPI_SPEC;
const missing = [spec ? "" : "INFLUXDB2_OPENAPI_SPEC", legacySpec ? "" : "INFLUXDB_V1_COMPAT_OPENAPI_SPEC"].filter(
  Boolean,
);
if (missing.length > 0)
  console.warn(
    `skipping the InfluxDB 2.x contract tests: set ${missing.join(" and ")} to InfluxData's OpenAPI descriptions (.ci/run sets them to ../shared/influxdb/)`,
  );

const DAY = 86_400_000;
const OPERATOR = "operator-token-of-the-test";

const desired: DesiredStorage = {
  databases: [
    { name: "a_personal", retentionMs: 396 * DAY },
    { name: "a_public", retentionMs: 5 * 365 * DAY },
    { name: "b_public", retentionMs: null },
  ],
  principals: [
    { name: "a-planners", read: ["a_public"], write: [] },
    { name: "influx-writer", read: [], write: ["a_personal", "a_public", "b_public"] },
  ],
};

describe.skipIf(missing.length > 0)(
  "platform plan and apply against the InfluxDB 2.x API (as InfluxData describes it)",
  () => {
    let influx: InfluxDB2Double;
    let settings: { url: string; org: string; token: Secret };
    let credentials: string;
    beforeEach(async () => {
      influx = await startInfluxDB2Double({ spec: spec ?? "", legacySpec: legacySpec ?? "", operatorToken: OPERATOR });
      settings = { url: influx.url, org: influx.org.name, token: new Secret(OPERATOR) };
      credentials = mkdtempSync(join(tmpdir(), "sf-platform2-"));
    });
    afterEach(async () => {
      // Every request the code sent, and every answer it read, was as the descriptions allow.
      expect(influx.violations).toEqual([]);
      await influx.close();
      rmSync(credentials, { recursive: true, force: true });
    });

    const planNow = async (wanted = desired) => planInflux2(await readInflux2State(settings), wanted);
    const apply = async (wanted = desired, options: { allowDestructive?: boolean } = {}) => {
      const state = await readInflux2State(settings);
      return applyInflux2Plan(settings, state, planInflux2(state, wanted), { credentialsDir: credentials, ...options });
    };
    const bucketID = (name: string) => influx.buckets.find((b) => b.name === name)?.id;
    const permissionsOf = (authorization: { permissions: Array<{ action: string; resource: { id?: string } }> }) =>
      authorization.permissions
        .map((p) => `${p.action}:${influx.buckets.find((b) => b.id === p.resource.id)?.name ?? p.resource.id}`)
        .sort();
    const read = (file: string) => readFileSync(join(credentials, file), "utf8").trim();

    it("on an empty organisation creates buckets, mappings, and per principal a token and a v1 authorization with exactly its buckets; then it is in sync", async () => {
      const steps = await planNow();
      expect(steps.map(describeInflux2Step)).toEqual([
        "+ create bucket a_personal (retention 396d)",
        "+ create bucket a_public (retention 1825d)",
        "+ create bucket b_public (retention infinite)",
        "+ map database a_personal (retention policy autogen, default) to bucket a_personal",
        "+ map database a_public (retention policy autogen, default) to bucket a_public",
        "+ map database b_public (retention policy autogen, default) to bucket b_public",
        "+ create API token for a-planners (read a_public)",
        "+ create v1 authorization for a-planners (read a_public)",
        "+ create API token for influx-writer (write a_personal, a_public, b_public)",
        "+ create v1 authorization for influx-writer (write a_personal, a_public, b_public)",
      ]);

      const { credentialFiles } = await apply();
      expect(await planNow()).toEqual([]);
      expect(credentialFiles.sort()).toEqual(
        ["a-planners.token", "a-planners.v1", "influx-writer.token", "influx-writer.v1"].map((f) =>
          join(credentials, f),
        ),
      );
      for (const file of credentialFiles) expect(statSync(file).mode & 0o777).toBe(0o600);

      expect(influx.buckets.filter((b) => b.type === "user").map((b) => [b.name, b.retentionRules])).toEqual([
        ["a_personal", [{ type: "expire", everySeconds: 396 * 86_400 }]],
        ["a_public", [{ type: "expire", everySeconds: 5 * 365 * 86_400 }]],
        ["b_public", [{ type: "expire", everySeconds: 0 }]],
      ]);
      expect(influx.dbrps.map((d) => [d.database, d.retention_policy, d.default, d.bucketID])).toEqual(
        ["a_personal", "a_public", "b_public"].map((name) => [name, "autogen", true, bucketID(name)]),
      );
      // The files hold what InfluxDB issued; each credential is active and allowed exactly its buckets.
      const token = (principal: string) => influx.authorizations.find((a) => a.token === read(`${principal}.token`));
      expect(token("a-planners")).toMatchObject({ status: "active" });
      expect(permissionsOf(token("a-planners") ?? { permissions: [] })).toEqual(["read:a_public"]);
      expect(permissionsOf(token("influx-writer") ?? { permissions: [] })).toEqual([
        "write:a_personal",
        "write:a_public",
        "write:b_public",
      ]);
      const v1 = influx.v1Authorizations.find((a) => a.token === "a-planners");
      expect(v1).toMatchObject({ status: "active" });
      expect(`a-planners:${v1?.password}`).toBe(read("a-planners.v1"));
      expect(permissionsOf(v1 ?? { permissions: [] })).toEqual(["read:a_public"]);
      // The operator's own token and the system buckets are left alone.
      expect(influx.authorizations.some((a) => a.token === OPERATOR)).toBe(true);
      expect(influx.buckets.filter((b) => b.type === "system")).toHaveLength(2);
    });

    it("gives a reader whose access changed a new token that replaces the old one, and the plan says so", async () => {
      await apply();
      const oldToken = read("a-planners.token");
      const oldV1 = read("a-planners.v1");
      const changed: DesiredStorage = {
        ...desired,
        principals: desired.principals.map((p) =>
          p.name === "a-planners" ? { ...p, read: ["a_personal", "a_public"] } : p,
        ),
      };

      const steps = await planNow(changed);
      expect(steps.map(describeInflux2Step)).toEqual([
        "~ replace API token of a-planners: a NEW credential (read a_personal, a_public) replaces the old one (read a_public), which is deleted; its permissions cannot change. Hand the new credential file to what uses it",
        "~ replace v1 authorization of a-planners: a NEW credential (read a_personal, a_public) replaces the old one (read a_public), which is deleted; its permissions cannot change. Hand the new credential file to what uses it",
      ]);
      await apply(changed);
      expect(await planNow(changed)).toEqual([]);

      expect(influx.authorizations.some((a) => a.token === oldToken)).toBe(false);
      const token = influx.authorizations.find((a) => a.token === read("a-planners.token"));
      expect(read("a-planners.token")).not.toBe(oldToken);
      expect(permissionsOf(token ?? { permissions: [] })).toEqual(["read:a_personal", "read:a_public"]);
      expect(read("a-planners.v1")).not.toBe(oldV1);
      expect(influx.v1Authorizations.filter((a) => a.token === "a-planners")).toHaveLength(1);
      // The writer's credentials were not touched.
      expect(influx.authorizations.filter((a) => a.description?.endsWith(" influx-writer"))).toHaveLength(1);
    });

    it("refuses destructive steps without --allow-destructive, changing nothing, and runs them with it", async () => {
      await apply();
      const shrunk: DesiredStorage = {
        databases: desired.databases
          .filter((d) => d.name !== "b_public")
          .map((d) => (d.name === "a_personal" ? { ...d, retentionMs: 30 * DAY } : d)),
        principals: [{ name: "a-planners", read: ["a_public"], write: [] }],
      };
      const steps = await planNow(shrunk);
      expect(steps.filter((s) => s.destructive).map(describeInflux2Step)).toEqual([
        "! retention of bucket a_personal: 396d → 30d  [destructive: needs --allow-destructive]",
        "! delete bucket b_public (not declared; every point in it is deleted)  [destructive: needs --allow-destructive]",
      ]);
      const before = JSON.stringify([influx.buckets, influx.dbrps, influx.authorizations, influx.v1Authorizations]);
      await expect(apply(shrunk)).rejects.toThrow(ApplyRefusedError);
      expect(JSON.stringify([influx.buckets, influx.dbrps, influx.authorizations, influx.v1Authorizations])).toBe(
        before,
      );

      await apply(shrunk, { allowDestructive: true });
      expect(await planNow(shrunk)).toEqual([]);
      expect(influx.buckets.filter((b) => b.type === "user").map((b) => b.name)).toEqual(["a_personal", "a_public"]);
      expect(influx.buckets.find((b) => b.name === "a_personal")?.retentionRules).toEqual([
        { type: "expire", everySeconds: 30 * 86_400 },
      ]);
      // The writer is no longer declared: its credentials are gone, b_public's mapping with its bucket.
      expect(influx.authorizations.map((a) => a.description)).toEqual([
        "admin's Token",
        "stadtfluss principal a-planners",
      ]);
      expect(influx.v1Authorizations.map((a) => a.token)).toEqual(["a-planners"]);
      expect(influx.dbrps.map((d) => d.database)).toEqual(["a_personal", "a_public"]);
    });

    it("refuses to create credentials without a folder for them, before sending anything", async () => {
      const state = await readInflux2State(settings);
      const refused = applyInflux2Plan(settings, state, planInflux2(state, desired));
      await expect(refused).rejects.toThrow(ApplyRefusedError);
      await expect(refused).rejects.toThrow("the plan creates credentials: give a folder for them (--credentials-dir)");
      expect(influx.buckets.filter((b) => b.type === "user")).toEqual([]);
    });

    it("replaces a credential left inactive by an interrupted apply, and deletes a superseded duplicate", async () => {
      await apply();
      const planners = influx.authorizations.find((a) => a.description === "stadtfluss principal a-planners");
      if (planners) planners.status = "inactive";
      const writer = influx.authorizations.find((a) => a.description === "stadtfluss principal influx-writer");
      if (writer)
        influx.authorizations.push({
          ...writer,
          id: "0a0a0a0a0a0a0a0a",
          token: "copy",
          createdAt: "2000-01-01T00:00:00Z",
        });

      expect((await planNow()).map(describeInflux2Step)).toEqual([
        "~ replace API token of a-planners: a NEW credential (read a_public) replaces the old one (inactive), which is deleted; its permissions cannot change. Hand the new credential file to what uses it",
        "- delete API token of influx-writer (superseded)",
      ]);
      await apply();
      expect(await planNow()).toEqual([]);
      expect(influx.authorizations.map((a) => a.token)).not.toContain("copy");
    });

    it("reads every bucket of a large organisation, page by page", async () => {
      const now = new Date().toISOString();
      for (let i = 0; i < 230; i++)
        influx.buckets.push({
          id: (0x1000 + i).toString(16).padStart(16, "0"),
          name: `other_${String(i).padStart(3, "0")}`,
          type: "user",
          retentionRules: [],
          createdAt: now,
          updatedAt: now,
        });
      const state = await readInflux2State(settings);
      expect(state.buckets.filter((b) => b.name.startsWith("other_"))).toHaveLength(230);
      expect(
        planInflux2(state, desired, { manages: (name) => !name.startsWith("other_") }).map((s) => s.kind),
      ).not.toContain("delete-bucket");
    });

    it("refuses a request the description does not allow: a misspelt field, an unknown parameter", async () => {
      const misspelt = influx2Request(settings, "POST", "/api/v2/buckets", {
        body: { orgID: influx.org.id, name: "x", retentionRule: [{ type: "expire", everySeconds: 3600 }] },
      });
      await expect(misspelt).rejects.toThrow(Influx2ApiError);
      await expect(misspelt).rejects.toThrow(/400.*additionalProperty.*retentionRule/);
      await expect(
        influx2Request(settings, "GET", "/api/v2/buckets", { query: { orgId: influx.org.id } }),
      ).rejects.toThrow(/400.*orgId/);
      expect(influx.buckets.map((b) => b.name)).not.toContain("x");
      expect(influx.violations).toEqual([
        expect.stringMatching(/^POST \/api\/v2\/buckets: .*retentionRule/),
        expect.stringMatching(/^GET \/api\/v2\/buckets\?orgId=.*: .*orgId/),
      ]);
      influx.violations.length = 0;
    });

    // Six runs of the command, each a Node.js start: past the default 5 s on a busy machine.
    it("`pnpm platform` with INFLUX_API_VERSION=2 plans, applies with credentials only in 0600 files, never prints one, and names a bad setting", {
      timeout: 60_000,
    }, async () => {
      const folder = mkdtempSync(join(tmpdir(), "sf-declaration2-"));
      const tokenFile = join(folder, "..", `${folder.split("/").at(-1)}-operator.token`);
      writeFileSync(tokenFile, OPERATOR);
      writeFileSync(
        join(folder, "platform.yaml"),
        [
          "tenants:",
          "  - { id: musterstadt, name: Musterstadt, kind: municipality }",
          "  - { id: stadtwerke, name: Stadtwerke, kind: utility }",
          "readers:",
          "  - { name: musterstadt-planners, read: { musterstadt: [public] } }",
          "  - { name: stadtwerke-metering, read: { stadtwerke: [personal] } }",
        ].join("\n"),
      );
      const environment = {
        PATH: process.env.PATH,
        INFLUX_API_VERSION: "2",
        INFLUX_URL: influx.url,
        INFLUX_ORG: influx.org.name,
        INFLUX_TOKEN_FILE: tokenFile,
      };
      const run = (args: string[], env: Record<string, string | undefined> = environment) => runPlatform(args, env);
      try {
        const planned = await run(["plan", "--declaration", folder]);
        expect(planned.code).toBe(0);
        expect(planned.stdout).toContain("+ create bucket stadtwerke_personal (retention 396d)");
        expect(planned.stdout).toContain("+ create API token for musterstadt-planners (read musterstadt_public)");
        expect(planned.stdout).toMatch(/\n\d+ change\(s\)\n$/);

        const applied = await run(["apply", "--declaration", folder, "--credentials-dir", credentials]);
        expect(applied).toMatchObject({ code: 0, stderr: "" });
        expect(applied.stdout).toMatch(/applied \d+ change\(s\); in sync\n$/);
        expect(applied.stdout).toContain(`credential written to ${join(credentials, "musterstadt-planners.token")}`);
        const output = `${planned.stdout}${planned.stderr}${applied.stdout}${applied.stderr}`;
        expect(influx.secrets().length).toBeGreaterThan(8);
        for (const secret of influx.secrets()) expect(output).not.toContain(secret);

        expect(await run(["plan", "--declaration", folder])).toMatchObject({ code: 0, stdout: "in sync\n" });

        const badVersion = await run(["plan", "--declaration", folder], { ...environment, INFLUX_API_VERSION: "3" });
        expect(badVersion.code).toBe(78);
        expect(badVersion.stderr).toContain("INFLUX_API_VERSION: must be 1 (InfluxDB 1.x) or 2 (InfluxDB 2.x)");
        const elsewhere = await run(["plan", "--declaration", folder], { ...environment, INFLUX_ORG: "elsewhere" });
        expect(elsewhere).toMatchObject({
          code: 1,
          stderr: 'platform: InfluxDB has no organization named "elsewhere" (INFLUX_ORG)\n',
        });
        const noOrg = await run(["plan", "--declaration", folder], { ...environment, INFLUX_ORG: undefined });
        expect(noOrg.code).toBe(78);
        expect(noOrg.stderr).toContain("INFLUX_ORG: is required but not set");
      } finally {
        rmSync(folder, { recursive: true, force: true });
        rmSync(tokenFile, { force: true });
      }
    });
  },
);
