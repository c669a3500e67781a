import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type GrafanaDouble, startGrafanaDouble } from "@stadtfluss/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";

const main = fileURLToPath(new URL("./main.ts", import.meta.url));
const spec = process.env.GRAFANA_OPENAPI_SPEC;
if (!spec)
  console.warn(
    "skipping the grafana-provisioner command tests against the Grafana double: set GRAFANA_OPENAPI_SPEC to Grafana's OpenAPI 3 description (.ci/run sets it to ../shared/grafana/grafana-11.4.0-openapi3.json)",
  );

/** Runs the command without blocking this process, where the double answers. */
function run(args: readonly string[], env: Record<string, string>) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      [main, ...args],
      { env: { PATH: process.env.PATH ?? "", ...env } },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code) : 0, stdout, stderr }),
    );
  });
}

// Each test starts Node processes: on a loaded machine that takes seconds each.
describe("the grafana-provisioner command", { timeout: 60_000 }, () => {
  let root: string;
  let args: string[];
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), "sf-grafana-command-"));
    mkdirSync(join(root, "registry"));
    mkdirSync(join(root, "credentials"));
    writeFileSync(
      join(root, "registry", "platform.yaml"),
      [
        "tenants: [{ id: musterstadt, name: Stadt Musterstadt, kind: municipality }]",
        "readers: [{ name: planners, read: { musterstadt: [public, open] } }]",
        "grafana:",
        "  influxUrl: http://127.0.0.1:8086",
        "  tenants:",
        "    musterstadt:",
        "      reader: planners",
        "      departments: [{ uid: verkehrsplanung, title: Verkehrsplanung, dashboards: [traffic] }]",
      ].join("\n"),
    );
    writeFileSync(join(root, "credentials", "planners.token"), "planners:secret-of-the-planners\n");
    args = ["--declaration", join(root, "registry"), "--credentials-dir", join(root, "credentials")];
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it("stops with exit code 78 naming a bad setting", async () => {
    const result = await run(["plan", ...args], { GRAFANA_URL: "ftp://grafana", GRAFANA_ADMIN_USER: "admin" });
    expect(result.code).toBe(78);
    expect(result.stderr).toContain("GRAFANA_URL");
    expect(result.stderr).toContain("GRAFANA_ADMIN_PASSWORD");
  });

  it("exports file provisioning: the data sources (readable by the owner only) and the dashboards by folder", async () => {
    const out = join(root, "export");
    const result = await run(["export", ...args, "--out", out], {});
    expect(result.code).toBe(0);
    const datasources = join(out, "musterstadt", "provisioning", "datasources", "stadtfluss.yaml");
    expect(statSync(datasources).mode & 0o777).toBe(0o600);
    const parsed = parse(readFileSync(datasources, "utf8")) as { datasources: Array<Record<string, unknown>> };
    expect(parsed.datasources.map((d) => [d.uid, d.url, d.user, (d.jsonData as { dbName: string }).dbName])).toEqual([
      ["stadtfluss-influxdb", "http://127.0.0.1:8086", "planners", "musterstadt_public"],
      ["stadtfluss-influxdb-open", "http://127.0.0.1:8086", "planners", "musterstadt_open"],
    ]);
    expect(parsed.datasources[0]?.secureJsonData).toEqual({ password: "secret-of-the-planners" });
    const providers = parse(
      readFileSync(join(out, "musterstadt", "provisioning", "dashboards", "stadtfluss.yaml"), "utf8"),
    ) as { providers: Array<{ options: { path: string } }> };
    const dashboard = JSON.parse(
      readFileSync(
        join(providers.providers[0]?.options.path ?? "", "Verkehrsplanung", "stadtfluss-traffic.json"),
        "utf8",
      ),
    ) as { uid: string; tags: string[] };
    expect(dashboard.uid).toBe("stadtfluss-traffic");
    expect(dashboard.tags).toContain("stadtfluss");
  });

  it("exports for an InfluxDB without authentication with --without-credentials, and asks for one of the two", async () => {
    const out = join(root, "export-local");
    const declaration = args.slice(0, 2);
    expect((await run(["export", ...declaration, "--out", out], {})).code).toBe(64);
    expect((await run(["export", ...declaration, "--without-credentials", "--out", out], {})).code).toBe(0);
    const parsed = parse(
      readFileSync(join(out, "musterstadt", "provisioning", "datasources", "stadtfluss.yaml"), "utf8"),
    ) as { datasources: Array<Record<string, unknown>> };
    expect(parsed.datasources.map((d) => [d.user, d.secureJsonData])).toEqual([
      ["planners", undefined],
      ["planners", undefined],
    ]);
  });

  describe.skipIf(!spec)("against the Grafana double", () => {
    let grafana: GrafanaDouble;
    let env: Record<string, string>;
    beforeAll(async () => {
      grafana = await startGrafanaDouble({ spec: spec ?? "", adminPassword: "admin-password-of-the-test" });
      writeFileSync(join(root, "admin-password"), "admin-password-of-the-test\n");
      env = {
        GRAFANA_URL: grafana.url,
        GRAFANA_ADMIN_USER: "admin",
        GRAFANA_ADMIN_PASSWORD_FILE: join(root, "admin-password"),
      };
    });
    afterAll(async () => {
      expect(grafana.violations).toEqual([]);
      await grafana.close();
    });

    it("plan exits 2 with changes pending, apply 0, and plan then prints in sync and exits 0", async () => {
      const before = await run(["plan", ...args], env);
      expect(before.code).toBe(2);
      expect(before.stdout).toContain('musterstadt: + dashboard "Verkehr" in folder stadtfluss-verkehrsplanung');
      expect((await run(["apply", ...args], env)).code).toBe(0);
      expect(await run(["plan", ...args], env)).toEqual({ code: 0, stdout: "in sync\n", stderr: "" });
    });

    it("takes Grafana's address and the server admin's password file as flags, the user defaulting to admin", async () => {
      const flags = ["--url", grafana.url, "--password-file", join(root, "admin-password")];
      expect(await run(["plan", ...flags, ...args], {})).toEqual({ code: 0, stdout: "in sync\n", stderr: "" });
      const wrong = join(root, "wrong-password");
      writeFileSync(wrong, "not-the-admin-password\n");
      const refused = await run(["plan", "--url", grafana.url, "--password-file", wrong, ...args], {});
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toMatch(/401|password|credential/i);
    });
  });
});
