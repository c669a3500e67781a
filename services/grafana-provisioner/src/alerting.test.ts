import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Secret } from "@stadtfluss/config";
import {
  createGrafanaClient,
  type GrafanaClient,
  type GrafanaSchemas,
  grafanaData,
} from "@stadtfluss/grafana-openapi-client";
import { type GrafanaDouble, startGrafanaDouble } from "@stadtfluss/testing";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parse } from "yaml";
import {
  alerts,
  CONSUMER_LAG_GROWING_PROMQL,
  DEAD_LETTERS_RISING_PROMQL,
  PROMETHEUS,
} from "../../../dashboards/alerts.ts";
import { desiredState, loadDesiredState } from "./desired-state.ts";
import { exportProvisioning } from "./export.ts";
import { applyCommand, planCommand, pruneCommand } from "./provisioner.ts";

// Grafana's description stays outside the repository; `.ci/run` points at it.
const spec = process.env.GRAFANA_OPENAPI_SPEC;
if (!spec)
  console.warn(
    "skipping the grafana-provisioner alerting tests against the Grafana double: set GRAFANA_OPENAPI_SPEC to Grafana's OpenAPI 3 description (.ci/run sets it to ../shared/grafana/grafana-11.4.0-openapi3.json)",
  );

const ADMIN_PASSWORD = "admin-password-of-the-test";

/** Two sensors with a 10-minute interval, one traffic counter without a type. */
const REGISTRY = [
  "tenants:",
  "  - { id: musterstadt, name: Stadt Musterstadt, kind: municipality }",
  "readers:",
  "  - { name: planners, read: { musterstadt: [public, open] } }",
  "deviceTypes:",
  "  - id: em300",
  "    interval: 10m",
  "    fields: [{ path: temperature, kind: air.temperature, unit: Cel }, { path: battery, kind: device.battery, unit: '%' }]",
  "devices:",
  "  - { id: eui-1, tenant: musterstadt, type: em300, privacy: public }",
  "  - { id: eui-2, tenant: musterstadt, type: em300, privacy: public }",
  "  - { id: traffic-1, tenant: musterstadt, privacy: public }",
].join("\n");

const ALERTING = [
  "      alerting:",
  "        contactPoints:",
  "          - { uid: leitstelle, name: Leitstelle, email: [leitstelle@musterstadt.example] }",
  "          - { uid: umweltamt, name: Umweltamt, webhook: https://umwelt.musterstadt.example/hook }",
  "        policy:",
  "          receiver: Leitstelle",
  "          routes: [{ receiver: Umweltamt, department: umwelt }]",
];

describe.skipIf(!spec)("alert rules, contact points and the notification policy against the Grafana double", () => {
  let grafana: GrafanaDouble;
  let root: string;
  let out: string[];

  beforeEach(async () => {
    grafana = await startGrafanaDouble({ spec: spec ?? "", adminPassword: ADMIN_PASSWORD });
    root = mkdtempSync(join(tmpdir(), "sf-grafana-alerting-"));
    writeFileSync(join(root, "registry.yaml"), REGISTRY);
    declare(["[pm10-daily-mean, device-silent]"], ALERTING);
    out = [];
  });
  afterEach(async () => {
    // Every request sent and every answer given was as Grafana's description allows.
    expect(grafana.violations).toEqual([]);
    await grafana.close();
    rmSync(root, { recursive: true, force: true });
  });

  function declare(umweltAlerts: readonly string[], alerting: readonly string[], limit?: number) {
    writeFileSync(
      join(root, "grafana.yaml"),
      [
        "grafana:",
        "  influxUrl: http://influxdb:8086",
        "  tenants:",
        "    musterstadt:",
        "      reader: planners",
        "      departments:",
        `        - { uid: umwelt, title: Umwelt, alerts: ${umweltAlerts.join(", ")} }`,
        "        - { uid: verkehr, title: Verkehr }",
        ...alerting,
        ...(limit === undefined ? [] : [`        pm10DailyMeanLimit: ${limit}`]),
      ].join("\n"),
    );
  }
  const client = (orgId?: number): GrafanaClient =>
    createGrafanaClient({
      url: grafana.url,
      credential: { kind: "basic", user: grafana.admin.login, password: new Secret(ADMIN_PASSWORD) },
      ...(orgId === undefined ? {} : { orgId }),
    });
  const options = (extra: { force?: boolean } = {}) => ({
    grafana: (orgId?: number) => client(orgId),
    stdout: (line: string) => out.push(line),
    ...extra,
  });
  const desired = () => loadDesiredState(root, undefined);
  const plan = async () => {
    out = [];
    const code = await planCommand(desired(), options());
    return { code, lines: out };
  };
  const org = () => {
    const found = grafana.orgs.find((o) => o.name === "Stadt Musterstadt");
    if (!found) throw new Error("no organisation");
    return found;
  };
  const rule = (uid: string) => {
    const found = org().alertRules.find((r) => r.uid === uid);
    if (!found) throw new Error(`no alert rule ${uid}`);
    return found;
  };
  const silentUids = () =>
    org()
      .alertRules.filter((r) => String(r.uid).startsWith("stadtfluss-silent-"))
      .map((r) => r.uid);

  it("plans the contact points, the policy and a silence rule per device with an interval, applies them, and is then in sync", async () => {
    const before = await plan();
    expect(before.code).toBe(2);
    expect(before.lines).toEqual(
      expect.arrayContaining([
        'musterstadt: + contact point "Leitstelle" (email)',
        'musterstadt: + contact point "Umweltamt" (webhook)',
        "musterstadt: ~ notification policy tree (declared): default Leitstelle, department=umwelt to Umweltamt",
        'musterstadt: + alert rule "PM10-Tagesmittel über dem Grenzwert" in folder stadtfluss-umwelt',
        'musterstadt: + alert rule "Gerät eui-1 sendet nicht" in folder stadtfluss-umwelt',
        'musterstadt: + alert rule "Gerät eui-2 sendet nicht" in folder stadtfluss-umwelt',
      ]),
    );
    // The traffic counter's format names its kinds: no type, no interval, no rule.
    expect(before.lines.filter((l) => l.includes("traffic-1"))).toEqual([]);

    expect(await applyCommand(desired(), options())).toBe(0);
    const silent = rule(String(silentUids()[0]));
    expect(silent).toMatchObject({
      folderUID: "stadtfluss-umwelt",
      noDataState: "Alerting",
      for: "600s",
      labels: { device: "eui-1", device_type: "em300", department: "umwelt", alert: "device-silent" },
      provenance: "api",
    });
    const [query] = silent.data as Array<{ relativeTimeRange: unknown; model: { query: string } }>;
    expect(query?.relativeTimeRange).toEqual({ from: 600, to: 0 });
    expect(query?.model.query).toBe(`SELECT count("temperature") FROM "air" WHERE "device" = 'eui-1' AND $timeFilter`);
    const pm10 = rule("stadtfluss-pm10-daily-mean");
    expect((pm10.data as Array<{ model: Record<string, unknown> }>)[2]?.model.conditions).toEqual([
      { evaluator: { type: "gt", params: [50] } },
    ]);
    expect(org().contactPoints.map((c) => [c.uid, c.name, c.type, c.settings])).toEqual([
      [expect.any(String), "grafana-default-email", "email", { addresses: "<example@email.com>" }],
      ["stadtfluss-leitstelle", "Leitstelle", "email", { addresses: "leitstelle@musterstadt.example" }],
      [
        "stadtfluss-umweltamt",
        "Umweltamt",
        "webhook",
        { url: "https://umwelt.musterstadt.example/hook", httpMethod: "POST" },
      ],
    ]);
    expect(org().policy).toMatchObject({
      receiver: "Leitstelle",
      routes: [{ receiver: "Umweltamt", object_matchers: [["department", "=", "umwelt"]] }],
    });

    expect(await plan()).toEqual({ code: 0, lines: ["in sync"] });
    out = [];
    expect(await applyCommand(desired(), options())).toBe(0);
    expect(out).toEqual(["applied 0 change(s); in sync"]);
  });

  it("changes a rule whose declaration changed: a lower PM10 limit", async () => {
    await applyCommand(desired(), options());
    declare(["[pm10-daily-mean, device-silent]"], ALERTING, 40);
    expect(await plan()).toEqual({
      code: 2,
      lines: ['musterstadt: ~ alert rule "PM10-Tagesmittel über dem Grenzwert": declaration changed', "1 change(s)"],
    });
    await applyCommand(desired(), options());
    const pm10 = rule("stadtfluss-pm10-daily-mean");
    expect((pm10.data as Array<{ model: Record<string, unknown> }>)[2]?.model.conditions).toEqual([
      { evaluator: { type: "gt", params: [40] } },
    ]);
    expect(await plan()).toEqual({ code: 0, lines: ["in sync"] });
  });

  it("shows a rule changed in Grafana as drift and overwrites it only with --force; a changed contact point it sets back", async () => {
    await applyCommand(desired(), options());
    const inOrg = client(org().id);
    const stored = rule("stadtfluss-pm10-daily-mean");
    const { id: _id, updated: _updated, provenance: _provenance, ...body } = stored;
    await grafanaData(
      inOrg.PUT("/v1/provisioning/alert-rules/{UID}", {
        params: { path: { UID: "stadtfluss-pm10-daily-mean" } },
        body: { ...(body as GrafanaSchemas["AlertRule"]), for: "1h" },
      }),
      "change the rule by hand",
    );
    await grafanaData(
      inOrg.PUT("/v1/provisioning/contact-points/{UID}", {
        params: { path: { UID: "stadtfluss-leitstelle" } },
        body: { name: "Leitstelle", type: "email", settings: { addresses: "jemand@example.org" } },
      }),
      "change the contact point by hand",
    );
    const drift = await plan();
    expect(drift.code).toBe(2);
    expect(drift.lines).toEqual([
      'musterstadt: ~ contact point "Leitstelle": settings changed',
      expect.stringMatching(
        /^musterstadt: ! alert rule "PM10-Tagesmittel über dem Grenzwert" was changed in Grafana since the last apply \(updated .+\); apply --force overwrites it$/,
      ),
      "2 change(s), 1 changed in Grafana by hand (apply --force overwrites)",
    ]);

    expect(await applyCommand(desired(), options())).toBe(1);
    expect(rule("stadtfluss-pm10-daily-mean").for).toBe("1h");
    expect(org().contactPoints.find((c) => c.uid === "stadtfluss-leitstelle")?.settings).toEqual({
      addresses: "leitstelle@musterstadt.example",
    });

    expect(await applyCommand(desired(), options({ force: true }))).toBe(0);
    expect(rule("stadtfluss-pm10-daily-mean").for).toBe("0s");
    expect(await plan()).toEqual({ code: 0, lines: ["in sync"] });
  });

  it("prunes only the rules and contact points it created and no longer declares, and only when asked", async () => {
    await applyCommand(desired(), options());
    const inOrg = client(org().id);
    // Made by hand in the same organisation: a rule in the owned folder.
    const hand = rule("stadtfluss-pm10-daily-mean");
    const { id: _id, uid: _uid, updated: _u, provenance: _p, ...handBody } = hand;
    await grafanaData(
      inOrg.POST("/v1/provisioning/alert-rules", {
        body: { ...(handBody as GrafanaSchemas["AlertRule"]), uid: "eigene-regel", title: "Eigene Regel" },
        headers: { "X-Disable-Provenance": "true" },
      }),
      "add a rule by hand",
    );
    // The silence rules and the Umweltamt's contact point leave the declaration.
    declare(
      ["[pm10-daily-mean]"],
      [
        "      alerting:",
        "        contactPoints: [{ uid: leitstelle, name: Leitstelle, email: [leitstelle@musterstadt.example] }]",
        "        policy: { receiver: Leitstelle }",
      ],
    );
    const pending = await plan();
    expect(pending.lines.filter((l) => l.includes(": - "))).toEqual([
      'musterstadt: - alert rule "Gerät eui-1 sendet nicht" (no longer declared; prune deletes it)',
      'musterstadt: - alert rule "Gerät eui-2 sendet nicht" (no longer declared; prune deletes it)',
      'musterstadt: - contact point "Umweltamt" (no longer declared; prune deletes it)',
    ]);
    // apply deletes nothing; it sets the policy that no longer sends to the Umweltamt.
    await applyCommand(desired(), options());
    expect(silentUids()).toHaveLength(2);

    out = [];
    expect(await pruneCommand(desired(), options())).toBe(0);
    expect(org().alertRules.map((r) => r.uid)).toEqual(["stadtfluss-pm10-daily-mean", "eigene-regel"]);
    expect(org().contactPoints.map((c) => c.name)).toEqual(["grafana-default-email", "Leitstelle"]);
    expect(await plan()).toEqual({ code: 0, lines: ["in sync"] });
  });

  it("keeps a contact point the organisation's own policy still sends to", async () => {
    declare(["[pm10-daily-mean]"], ["      alerting:", ...ALERTING.slice(1, 4)]);
    await applyCommand(desired(), options());
    // The tree is the organisation's (none declared): set by hand to send to the Umweltamt.
    await grafanaData(
      client(org().id).PUT("/v1/provisioning/policies", { body: { receiver: "Umweltamt" } }),
      "set the policy by hand",
    );
    declare(["[pm10-daily-mean]"], ["      alerting:", ...ALERTING.slice(1, 3)]);
    out = [];
    await pruneCommand(desired(), options());
    expect(out).toContain('kept contact point "Umweltamt": the notification policy tree still sends alerts to it');
    expect(org().contactPoints.map((c) => c.name)).toContain("Umweltamt");
  });

  it("exports the rules by folder and group, the contact points and the policy in Grafana's file provisioning format", () => {
    const exported = join(root, "export");
    exportProvisioning(desired(), exported);
    const file = join(exported, "musterstadt", "provisioning", "alerting", "stadtfluss.yaml");
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const document = parse(readFileSync(file, "utf8"));
    expect(document.apiVersion).toBe(1);
    expect(
      document.groups.map((g: { folder: string; name: string; rules: Array<{ uid: string }> }) => [
        g.folder,
        g.name,
        g.rules.length,
      ]),
    ).toEqual([
      ["Umwelt", "Luftqualität", 1],
      ["Umwelt", "Geräte", 2],
    ]);
    const [pm10] = document.groups[0].rules;
    expect(pm10.uid).toBe("stadtfluss-pm10-daily-mean");
    expect(pm10.annotations).not.toHaveProperty("stadtflussContentHash");
    expect(document.contactPoints.map((c: { name: string }) => c.name)).toEqual(["Leitstelle", "Umweltamt"]);
    expect(document.policies).toEqual([
      {
        orgId: 1,
        receiver: "Leitstelle",
        group_by: ["grafana_folder", "alertname"],
        routes: [{ receiver: "Umweltamt", object_matchers: [["department", "=", "umwelt"]] }],
      },
    ]);
  });
});

describe("the pipeline's alert rules", () => {
  it("query the Prometheus data source by its fixed uid with the exported PromQL", () => {
    const context = { devices: [], pm10DailyMeanLimit: 50 };
    const queries = ["dead-letters-rising", "consumer-lag-growing"].flatMap(
      (name) => alerts[name]?.rules(context).flatMap((r) => r.data.filter((q) => q.datasourceUid !== "__expr__")) ?? [],
    );
    expect(queries.map((q) => [q.datasourceUid, q.model.expr])).toEqual([
      [PROMETHEUS.uid, DEAD_LETTERS_RISING_PROMQL],
      [PROMETHEUS.uid, CONSUMER_LAG_GROWING_PROMQL],
    ]);
  });

  it("are refused, naming the data source, where the organisation has no Prometheus", () => {
    expect(() =>
      desiredState({
        tenants: [
          {
            id: "musterstadt",
            name: "Stadt Musterstadt",
            kind: "municipality",
            retention: { public: null, personal: null, open: null },
          },
        ],
        grafana: {
          influxUrl: "http://influxdb:8086",
          tenants: [
            {
              tenant: "musterstadt",
              reader: "planners",
              teams: [],
              departments: [
                { uid: "betrieb", title: "Betrieb", permissions: [], dashboards: [], alerts: ["dead-letters-rising"] },
              ],
            },
          ],
        },
        credentialsDir: undefined,
        dashboards: {},
      }),
    ).toThrow(
      'grafana.tenants.musterstadt.departments.betrieb: alert rule "dead-letters-rising" queries the data source stadtfluss-prometheus, which this organisation does not get (grafana.prometheus.tenants names the organisations that get Prometheus)',
    );
  });
});
