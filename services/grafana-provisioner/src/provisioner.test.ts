import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Secret } from "@stadtfluss/config";
import { createGrafanaClient, type GrafanaClient, grafanaData } from "@stadtfluss/grafana-openapi-client";
import { type GrafanaDouble, startGrafanaDouble } from "@stadtfluss/testing";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { loadDesiredState } from "./desired-state.ts";
import { exportProvisioning } from "./export.ts";
import { applyCommand, planCommand, pruneCommand } from "./provisioner.ts";

// Grafana's description stays outside the repository; `.ci/run` points at it.
const spec = process.env.GRAFANA_OPENAPI_SPEC;
if (!spec)
  console.warn(
    "skipping the grafana-provisioner tests against the Grafana double: set GRAFANA_OPENAPI_SPEC to Grafana's OpenAPI 3 description (.ci/run sets it to ../shared/grafana/grafana-11.4.0-openapi3.json)",
  );

const ADMIN_PASSWORD = "admin-password-of-the-test";

const PLATFORM = [
  "tenants:",
  "  - { id: musterstadt, name: Stadt Musterstadt, kind: municipality }",
  "  - { id: stadtwerke, name: Stadtwerke Musterstadt, kind: utility }",
  "readers:",
  "  - { name: musterstadt-planners, read: { musterstadt: [public, open] } }",
  "  - { name: stadtwerke-metering, read: { stadtwerke: [personal, open] } }",
].join("\n");

const GRAFANA = {
  musterstadt: [
    "    musterstadt:",
    "      reader: musterstadt-planners",
    "      teams: [{ name: verkehr, members: [anna, ben] }, { name: umwelt, members: [carla] }]",
    "      departments:",
    "        - { uid: verkehrsplanung, title: Verkehrsplanung, permissions: { verkehr: Edit, umwelt: View }, dashboards: [traffic] }",
    "        - { uid: umwelt, title: Umwelt, permissions: { umwelt: Admin } }",
  ],
  stadtwerke: [
    "    stadtwerke:",
    "      reader: stadtwerke-metering",
    "      teams: [{ name: netz, members: [dora] }]",
    "      departments:",
    "        - { uid: energie, title: Energie, permissions: { netz: Edit } }",
  ],
};

describe.skipIf(!spec)("grafana-provisioner against the Grafana double", () => {
  let grafana: GrafanaDouble;
  let root: string;
  let credentials: string;
  let out: string[];

  beforeEach(async () => {
    grafana = await startGrafanaDouble({ spec: spec ?? "", adminPassword: ADMIN_PASSWORD });
    for (const login of ["anna", "ben", "carla", "dora"]) grafana.addUser(login);
    root = mkdtempSync(join(tmpdir(), "sf-grafana-provisioner-"));
    credentials = join(root, "credentials");
    writeFileSync(join(root, "platform.yaml"), PLATFORM);
    declare([...GRAFANA.musterstadt, ...GRAFANA.stadtwerke]);
    credential("musterstadt-planners", "planners-password-1");
    credential("stadtwerke-metering", "metering-password-1");
    out = [];
  });
  afterEach(async () => {
    // Every request sent and every answer given was as Grafana's description allows.
    expect(grafana.violations).toEqual([]);
    await grafana.close();
    rmSync(root, { recursive: true, force: true });
  });

  function declare(tenants: readonly string[]) {
    writeFileSync(
      join(root, "grafana.yaml"),
      ["grafana:", "  influxUrl: http://influxdb:8086", "  tenants:", ...tenants].join("\n"),
    );
  }
  function credential(reader: string, password: string) {
    mkdirSync(credentials, { recursive: true });
    writeFileSync(join(credentials, `${reader}.token`), `${reader}:${password}\n`);
  }
  const client = (orgId?: number, password = ADMIN_PASSWORD, user = grafana.admin.login): GrafanaClient =>
    createGrafanaClient({
      url: grafana.url,
      credential: { kind: "basic", user, password: new Secret(password) },
      ...(orgId === undefined ? {} : { orgId }),
    });
  const options = (extra: { force?: boolean } = {}) => ({
    grafana: (orgId?: number) => client(orgId),
    stdout: (line: string) => out.push(line),
    ...extra,
  });
  const desired = () => loadDesiredState(root, credentials);
  const plan = async () => {
    out = [];
    const code = await planCommand(desired(), options());
    return { code, lines: out };
  };
  const orgOf = (name: string) => {
    const org = grafana.orgs.find((o) => o.name === name);
    if (!org) throw new Error(`no organisation ${name}`);
    return org;
  };

  it("plans everything on an empty Grafana, applies it, and plans nothing afterwards", async () => {
    const before = await plan();
    expect(before.code).toBe(2);
    expect(before.lines).toContain('musterstadt: + organisation "Stadt Musterstadt" (needs a Grafana server admin)');
    expect(before.lines).toContain('musterstadt: + folder "Verkehrsplanung" (stadtfluss-verkehrsplanung)');
    expect(before.lines).toContain('musterstadt: ~ permissions of folder "Verkehrsplanung": verkehr Edit, umwelt View');
    expect(before.lines).toContain(
      'musterstadt: + data source "InfluxDB musterstadt_public" (InfluxQL, musterstadt_public)',
    );
    expect(before.lines).toContain(
      'stadtwerke: + data source "InfluxDB stadtwerke_personal" (InfluxQL, stadtwerke_personal)',
    );
    expect(before.lines).toContain('musterstadt: + dashboard "Verkehr" in folder stadtfluss-verkehrsplanung');
    expect(before.lines).toContain("musterstadt: + member anna of team verkehr");

    expect(await applyCommand(desired(), options())).toBe(0);
    const musterstadt = orgOf("Stadt Musterstadt");
    expect(musterstadt.dataSources.map((d) => [d.uid, d.database, d.user, d.jsonData.version])).toEqual([
      ["stadtfluss-influxdb", "musterstadt_public", "musterstadt-planners", "InfluxQL"],
      ["stadtfluss-influxdb-open", "musterstadt_open", "musterstadt-planners", "InfluxQL"],
    ]);
    expect(musterstadt.dataSources[0]?.secureJsonData).toEqual({ password: "planners-password-1" });
    const verkehr = musterstadt.teams.find((t) => t.name === "verkehr");
    expect([...(verkehr?.members ?? [])].map((id) => grafana.users.find((u) => u.id === id)?.login).sort()).toEqual([
      "anna",
      "ben",
    ]);
    const folder = musterstadt.folders.find((f) => f.uid === "stadtfluss-verkehrsplanung");
    expect(folder?.permissions).toEqual([
      { teamId: verkehr?.id, permission: 2 },
      { teamId: musterstadt.teams.find((t) => t.name === "umwelt")?.id, permission: 1 },
    ]);
    expect(musterstadt.dashboards.map((d) => [d.uid, d.folderUid, d.model.tags])).toEqual([
      ["stadtfluss-traffic", "stadtfluss-verkehrsplanung", ["traffic", "stadtfluss"]],
    ]);

    expect(await plan()).toEqual({ code: 0, lines: ["in sync"] });
    // Idempotent: a second apply changes nothing, not even a dashboard's version.
    out = [];
    expect(await applyCommand(desired(), options())).toBe(0);
    expect(out).toEqual(["applied 0 change(s); in sync"]);
    expect(musterstadt.dashboards[0]?.version).toBe(1);
  });

  it("shows a dashboard changed in the UI as drift and overwrites it only with --force", async () => {
    await applyCommand(desired(), options());
    const org = orgOf("Stadt Musterstadt");
    grafana.editInUi(org.id, "stadtfluss-traffic", (model) => {
      model.title = "Verkehr (von Hand)";
    });
    const drift = await plan();
    expect(drift.code).toBe(2);
    expect(drift.lines[0]).toBe(
      'musterstadt: ! dashboard "Verkehr" was changed in Grafana since the last apply (version 2, by a user in the UI); apply --force overwrites it',
    );

    out = [];
    expect(await applyCommand(desired(), options())).toBe(1);
    expect(org.dashboards[0]?.model.title).toBe("Verkehr (von Hand)");

    expect(await applyCommand(desired(), options({ force: true }))).toBe(0);
    expect(org.dashboards[0]?.model.title).toBe("Verkehr");
    expect(await plan()).toEqual({ code: 0, lines: ["in sync"] });
  });

  it("detects a rotated reader credential by its fingerprint and writes the new one", async () => {
    await applyCommand(desired(), options());
    credential("musterstadt-planners", "planners-password-2");
    expect(await plan()).toEqual({
      code: 2,
      lines: [
        'musterstadt: ~ data source "InfluxDB musterstadt_public": credential rotated',
        'musterstadt: ~ data source "InfluxDB musterstadt_open": credential rotated',
        "2 change(s)",
      ],
    });
    await applyCommand(desired(), options());
    const org = orgOf("Stadt Musterstadt");
    expect(org.dataSources.map((d) => d.secureJsonData.password)).toEqual([
      "planners-password-2",
      "planners-password-2",
    ]);
    // The fingerprint is salted: the password is in no field Grafana answers.
    expect(JSON.stringify(org.dataSources.map((d) => d.jsonData))).not.toContain("planners-password-2");
    expect(await plan()).toEqual({ code: 0, lines: ["in sync"] });
  });

  it("prunes only what it created and no longer declares, and only when asked", async () => {
    await applyCommand(desired(), options());
    const org = orgOf("Stadt Musterstadt");
    // Made by hand in the same organisation: a data source and a dashboard in the owned folder.
    const inOrg = client(org.id);
    await grafanaData(
      inOrg.POST("/datasources", { body: { name: "Hand", type: "influxdb", access: "proxy", url: "http://x" } }),
      "add a data source by hand",
    );
    await grafanaData(
      inOrg.POST("/dashboards/db", {
        body: { dashboard: { title: "Handarbeit", tags: ["eigen"] }, folderUid: "stadtfluss-umwelt" },
      }),
      "add a dashboard by hand",
    );
    // Verkehrsplanung with its dashboard leaves the declaration; Umwelt stays.
    declare([
      "    musterstadt:",
      "      reader: musterstadt-planners",
      "      teams: [{ name: umwelt, members: [carla] }]",
      "      departments:",
      "        - { uid: umwelt, title: Umwelt, permissions: { umwelt: Admin } }",
      ...GRAFANA.stadtwerke,
    ]);
    const pending = await plan();
    expect(pending.code).toBe(2);
    expect(pending.lines.filter((l) => l.includes(": - "))).toEqual([
      'musterstadt: - dashboard "Verkehr" (no longer declared; prune deletes it)',
      'musterstadt: - folder "Verkehrsplanung" (no longer declared; prune deletes it)',
    ]);
    // apply deletes nothing.
    await applyCommand(desired(), options());
    expect(org.dashboards.map((d) => d.model.title).sort()).toEqual(["Handarbeit", "Verkehr"]);

    out = [];
    expect(await pruneCommand(desired(), options())).toBe(0);
    expect(org.dashboards.map((d) => d.model.title)).toEqual(["Handarbeit"]);
    expect(org.folders.map((f) => f.title)).toEqual(["Umwelt"]);
    expect(org.dataSources.map((d) => d.name)).toEqual([
      "InfluxDB musterstadt_public",
      "InfluxDB musterstadt_open",
      "Hand",
    ]);
    expect(await plan()).toEqual({ code: 0, lines: ["in sync"] });
  });

  it("keeps a folder no longer declared that holds a dashboard made by hand, and deletes its own dashboard in it", async () => {
    await applyCommand(desired(), options());
    const org = orgOf("Stadt Musterstadt");
    await grafanaData(
      client(org.id).POST("/dashboards/db", {
        body: { dashboard: { title: "Zählstellen-Notizen" }, folderUid: "stadtfluss-verkehrsplanung" },
      }),
      "add a dashboard by hand",
    );
    declare([
      "    musterstadt:",
      "      reader: musterstadt-planners",
      "      teams: [{ name: verkehr, members: [anna] }, { name: umwelt, members: [carla] }]",
      ...GRAFANA.stadtwerke,
    ]);
    out = [];
    await pruneCommand(desired(), options());
    expect(out).toContain(
      'kept folder "Verkehrsplanung": it holds dashboards the provisioner did not create (Zählstellen-Notizen)',
    );
    expect(org.dashboards.map((d) => d.model.title)).toEqual(["Zählstellen-Notizen"]);
    expect(org.folders.map((f) => f.title)).toEqual(["Verkehrsplanung"]);
  });

  it("keeps a team's members exactly as declared", async () => {
    await applyCommand(desired(), options());
    declare([
      "    musterstadt:",
      "      reader: musterstadt-planners",
      "      teams: [{ name: verkehr, members: [anna, carla] }, { name: umwelt, members: [carla] }]",
      "      departments:",
      "        - { uid: verkehrsplanung, title: Verkehrsplanung, permissions: { verkehr: Edit, umwelt: View }, dashboards: [traffic] }",
      "        - { uid: umwelt, title: Umwelt, permissions: { umwelt: Admin } }",
      ...GRAFANA.stadtwerke,
    ]);
    expect(await plan()).toEqual({
      code: 2,
      lines: [
        "musterstadt: + member carla of team verkehr",
        "musterstadt: - member ben of team verkehr",
        "2 change(s)",
      ],
    });
    await applyCommand(desired(), options());
    const team = orgOf("Stadt Musterstadt").teams.find((t) => t.name === "verkehr");
    expect([...(team?.members ?? [])].map((id) => grafana.users.find((u) => u.id === id)?.login).sort()).toEqual([
      "anna",
      "carla",
    ]);
    expect(await plan()).toEqual({ code: 0, lines: ["in sync"] });
  });

  it("names a team member who does not exist in Grafana", async () => {
    declare([
      "    musterstadt:",
      "      reader: musterstadt-planners",
      "      teams: [{ name: verkehr, members: [niemand] }]",
    ]);
    await expect(applyCommand(desired(), options())).rejects.toThrow(
      "the user niemand does not exist in Grafana: users come from the city's sign-in (LDAP, OAuth) and exist after their first login, or a server admin creates them",
    );
  });

  it("keeps tenants apart: nothing of one is visible through the other's organisation or its token", async () => {
    await applyCommand(desired(), options());
    const a = orgOf("Stadt Musterstadt");
    const b = orgOf("Stadtwerke Musterstadt");
    // A token of a service account in the utility's organisation, as its users would have.
    const admin = client(b.id);
    const account = await grafanaData(
      admin.POST("/serviceaccounts", { body: { name: "viewer", role: "Admin" } }),
      "create a service account",
    );
    const { key } = await grafanaData(
      admin.POST("/serviceaccounts/{serviceAccountId}/tokens", {
        params: { path: { serviceAccountId: account.id } },
        body: { name: "t" },
      }),
      "create a token",
    );
    const views = [
      admin,
      createGrafanaClient({ url: grafana.url, credential: { kind: "token", token: new Secret(key) } }),
    ];
    for (const view of views) {
      const sources = await grafanaData(view.GET("/datasources"), "list the data sources");
      expect(sources.map((d) => d.database)).toEqual(["stadtwerke_personal", "stadtwerke_open"]);
      expect(sources.map((d) => d.user)).toEqual(["stadtwerke-metering", "stadtwerke-metering"]);
      const found = await grafanaData(view.GET("/search", { params: { query: {} } }), "search");
      expect(found.map((h) => h.title)).toEqual(["Energie"]);
      const teams = await grafanaData(view.GET("/teams/search", { params: { query: {} } }), "list the teams");
      expect(teams.teams.map((t) => t.name)).toEqual(["netz"]);
    }
    // The token does not reach the municipality's organisation, even when asked to.
    const across = createGrafanaClient({
      url: grafana.url,
      credential: { kind: "token", token: new Secret(key) },
      orgId: a.id,
    });
    const refused = await across.GET("/datasources");
    expect(refused.response.status).toBe(401);
    expect(b.dataSources.map((d) => d.secureJsonData.password)).toEqual(["metering-password-1", "metering-password-1"]);
  });

  it("gives the Prometheus data source and the pipeline dashboard only to the organisation the declaration names, and plans, applies, exports and prunes it", async () => {
    const prometheus = (url: string) => [
      "grafana:",
      "  influxUrl: http://influxdb:8086",
      `  prometheus: { url: ${url}, tenants: [musterstadt] }`,
      "  tenants:",
      ...GRAFANA.musterstadt,
      "        - { uid: betrieb, title: Betrieb, dashboards: [pipeline] }",
      ...GRAFANA.stadtwerke,
    ];
    writeFileSync(join(root, "grafana.yaml"), prometheus("http://prometheus:9090").join("\n"));
    const before = await plan();
    expect(before.lines).toContain(
      'musterstadt: + data source "Prometheus Stadtfluss" (Prometheus, http://prometheus:9090)',
    );
    expect(before.lines).toContain('musterstadt: + dashboard "Pipeline" in folder stadtfluss-betrieb');
    expect(before.lines.filter((l) => l.startsWith("stadtwerke:") && /Prometheus|Pipeline/.test(l))).toEqual([]);

    expect(await applyCommand(desired(), options())).toBe(0);
    const musterstadt = orgOf("Stadt Musterstadt");
    const source = musterstadt.dataSources.find((d) => d.uid === "stadtfluss-prometheus");
    expect(source).toMatchObject({
      type: "prometheus",
      url: "http://prometheus:9090",
      access: "proxy",
      isDefault: false,
    });
    expect(source?.jsonData).toMatchObject({ httpMethod: "POST", stadtflussManaged: true });
    expect(musterstadt.dashboards.map((d) => d.uid)).toContain("stadtfluss-pipeline");
    // The pipeline's metrics cover every tenant: the utility's organisation gets neither.
    const stadtwerke = orgOf("Stadtwerke Musterstadt");
    expect(stadtwerke.dataSources.map((d) => d.type)).toEqual(["influxdb", "influxdb"]);
    expect(stadtwerke.dashboards).toEqual([]);
    expect(await plan()).toEqual({ code: 0, lines: ["in sync"] });

    writeFileSync(join(root, "grafana.yaml"), prometheus("http://prometheus.intern:9090").join("\n"));
    expect(await plan()).toEqual({
      code: 2,
      lines: ['musterstadt: ~ data source "Prometheus Stadtfluss": url changed', "1 change(s)"],
    });
    await applyCommand(desired(), options());
    expect(await plan()).toEqual({ code: 0, lines: ["in sync"] });

    // Beside the declaration, not inside it: the registry reads every YAML file in its folder.
    const exported = mkdtempSync(join(tmpdir(), "sf-grafana-export-"));
    exportProvisioning(desired(), exported);
    const files = (tenant: string) =>
      parse(readFileSync(join(exported, tenant, "provisioning/datasources/stadtfluss.yaml"), "utf8")) as {
        datasources: Array<{ uid: string; type: string; url: string }>;
      };
    expect(files("musterstadt").datasources.find((d) => d.type === "prometheus")).toMatchObject({
      uid: "stadtfluss-prometheus",
      url: "http://prometheus.intern:9090",
    });
    expect(files("stadtwerke").datasources.map((d) => d.type)).toEqual(["influxdb", "influxdb"]);
    expect(existsSync(join(exported, "musterstadt/dashboards/Betrieb/stadtfluss-pipeline.json"))).toBe(true);
    rmSync(exported, { recursive: true, force: true });

    // Declared no more: apply keeps it, prune deletes it.
    declare([...GRAFANA.musterstadt, ...GRAFANA.stadtwerke]);
    expect((await plan()).lines.filter((l) => l.includes(": - "))).toEqual([
      'musterstadt: - data source "Prometheus Stadtfluss" (no longer declared; prune deletes it)',
      'musterstadt: - dashboard "Pipeline" (no longer declared; prune deletes it)',
      'musterstadt: - folder "Betrieb" (no longer declared; prune deletes it)',
    ]);
    expect(await pruneCommand(desired(), options())).toBe(0);
    expect(musterstadt.dataSources.map((d) => d.type)).toEqual(["influxdb", "influxdb"]);
    expect(await plan()).toEqual({ code: 0, lines: ["in sync"] });
  });

  it("refuses the pipeline dashboard in an organisation without the Prometheus data source", () => {
    declare([...GRAFANA.musterstadt, "        - { uid: betrieb, title: Betrieb, dashboards: [pipeline] }"]);
    expect(() => desired()).toThrow(
      /grafana\.tenants\.musterstadt\.departments\.betrieb: dashboard "pipeline" shows the pipeline's metrics, which this organisation has no data source for/,
    );
  });

  it("applies the documented example in infra/registry-example, each tenant an organisation, and is then in sync", async () => {
    for (const login of ["anna.schmidt", "ben.yilmaz", "carla.weber", "dora.klein", "emil.arslan"])
      grafana.addUser(login);
    for (const reader of ["musterstadt-planners", "nachbarstadt-planners", "stadtwerke-musterstadt-metering"])
      credential(reader, `${reader}-password`);
    const example = () => loadDesiredState(join(import.meta.dirname, "../../../infra/registry-example"), credentials);
    expect(await applyCommand(example(), options())).toBe(0);
    expect(grafana.orgs.map((o) => [o.name, o.folders.map((f) => f.title)])).toEqual([
      ["Main Org.", []],
      ["Stadt Musterstadt", ["Verkehrsplanung", "Umwelt", "Open Data", "Betrieb"]],
      ["Gemeinde Nachbarstadt", ["Bauamt"]],
      ["Stadtwerke Musterstadt GmbH", ["Energie"]],
    ]);
    out = [];
    expect(await planCommand(example(), options())).toBe(0);
    expect(out).toEqual(["in sync"]);
  });

  it("names what is wrong: a refused password, a missing server admin, an unreachable or unsupported Grafana", async () => {
    const wrong = { ...options(), grafana: (orgId?: number) => client(orgId, "not-the-password") };
    await expect(planCommand(desired(), wrong)).rejects.toThrow(
      /Grafana refused to look up the organisation "Stadt Musterstadt" \(HTTP 401, Grafana did not accept the credential/,
    );
    const editor = grafana.addUser("editor", [[1, "Admin"]]);
    const notServerAdmin = { ...options(), grafana: (orgId?: number) => client(orgId, editor.password, "editor") };
    await expect(planCommand(desired(), notServerAdmin)).rejects.toThrow(/HTTP 403, .*needs a Grafana server admin/);
    const old = await startGrafanaDouble({ spec: spec ?? "", adminPassword: ADMIN_PASSWORD, version: "9.5.2" });
    const oldOptions = {
      ...options(),
      grafana: () =>
        createGrafanaClient({
          url: old.url,
          credential: { kind: "basic", user: "admin", password: new Secret(ADMIN_PASSWORD) },
        }),
    };
    await expect(planCommand(desired(), oldOptions)).rejects.toThrow(
      "Grafana 9.5.2 is not supported: the provisioner speaks the API of Grafana 11 and 12 (tested against 11.4)",
    );
    await old.close();
    const gone = {
      ...options(),
      grafana: () =>
        createGrafanaClient({
          url: old.url,
          credential: { kind: "basic", user: "admin", password: new Secret(ADMIN_PASSWORD) },
        }),
    };
    await expect(planCommand(desired(), gone)).rejects.toThrow(`Grafana at ${old.url} cannot be reached`);
  });
});
