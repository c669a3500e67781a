import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadRegistry, RegistryError } from "./load-registry.ts";

function folder(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), "sf-declaration-"));
  for (const [path, text] of Object.entries(files)) writeFileSync(join(root, path), text);
  return root;
}

function problemsOf(path: string): readonly string[] {
  try {
    loadRegistry(path);
  } catch (error) {
    if (error instanceof RegistryError) return error.problems;
    throw error;
  }
  throw new Error("expected a RegistryError");
}

const DAY_MS = 86_400_000;

describe("the platform declaration", () => {
  it("reads tenants with their retention, the platform's defaults filled in, and readers with their grants", () => {
    const root = folder({
      "platform.yaml": [
        "retention: { public: 730d }",
        "tenants:",
        "  - { id: musterstadt, name: Stadt Musterstadt, kind: municipality, contact: dsb@musterstadt.example }",
        "  - id: stadtwerke",
        "    name: Stadtwerke",
        "    kind: utility",
        "    retention: { personal: 12w, open: 520w }",
        "readers:",
        "  - name: planners",
        "    description: Grafana",
        "    read: { musterstadt: [public, open, public], stadtwerke: [open] }",
        "  - { name: metering, read: { stadtwerke: [personal] } }",
        '  - { name: open-data, read: { "*": [open] } }',
        "",
      ].join("\n"),
      "devices.yaml": "devices:\n  - { id: p1-1, tenant: stadtwerke, privacy: personal }\n",
    });
    const loaded = loadRegistry(root);
    expect(loaded.tenants).toEqual([
      {
        id: "musterstadt",
        name: "Stadt Musterstadt",
        kind: "municipality",
        contact: "dsb@musterstadt.example",
        retention: { public: 730 * DAY_MS, personal: 396 * DAY_MS, open: null },
      },
      {
        id: "stadtwerke",
        name: "Stadtwerke",
        kind: "utility",
        retention: { public: 730 * DAY_MS, personal: 84 * DAY_MS, open: 3640 * DAY_MS },
      },
    ]);
    expect(loaded.readers).toEqual([
      {
        name: "planners",
        description: "Grafana",
        read: [
          { tenant: "musterstadt", dataClass: "public" },
          { tenant: "musterstadt", dataClass: "open" },
          { tenant: "stadtwerke", dataClass: "open" },
        ],
      },
      { name: "metering", read: [{ tenant: "stadtwerke", dataClass: "personal" }] },
      {
        name: "open-data",
        read: [
          { tenant: "musterstadt", dataClass: "open" },
          { tenant: "stadtwerke", dataClass: "open" },
        ],
      },
    ]);
    expect(loaded.registry.device("stadtwerke", "p1-1")?.privacy).toBe("personal");
  });

  it("keeps personal data 13 months, public data 5 years and open data for ever unless told otherwise", () => {
    const root = folder({ "t.yaml": "tenants: [{ id: musterstadt, name: M, kind: municipality }]\n" });
    expect(loadRegistry(root).tenants[0]?.retention).toEqual({
      personal: 396 * DAY_MS,
      public: 1827 * DAY_MS,
      open: null,
    });
  });

  it("names file and line of every problem of tenants, readers and the devices naming them", () => {
    const root = folder({
      "platform.yaml": [
        "retention:", // 1
        "  personal: 13mo", // 2
        "tenants:", // 3
        "  - id: Musterstadt_Nord", // 4
        "    name: Nord", // 5
        "    kind: municipality", // 6
        "  - id: stadtwerke", // 7
        "    name: Stadtwerke", // 8
        "    kind: bank", // 9
        "  - id: musterstadt", // 10
        "    name: Musterstadt", // 11
        "    kind: municipality", // 12
        "    retention: { personal: 2000d }", // 13
        "  - id: musterstadt", // 14
        "    name: again", // 15
        "    kind: municipality", // 16
        "    colour: red", // 17
        "readers:", // 18
        "  - name: influx-writer", // 19
        "    read: { musterstadt: [public] }", // 20
        "  - name: snoop", // 21
        "    read:", // 22
        '      "*": [public, open]', // 23
        "      nowhere: [open]", // 24
        "      stadtwerke: [open]", // 25
        "  - name: meters", // 26
        "    read:", // 27
        "      musterstadt: [personal, secret]", // 28
        "  - name: snoop", // 29
        "    read: { musterstadt: [open] }", // 30
        "",
      ].join("\n"),
      "devices.yaml": [
        "devices:", // 1
        "  - { id: s-1, tenant: musterstadt, privacy: public }", // 2
        "  - { id: s-2, tenant: nachbarstadt, privacy: public }", // 3
        "  - { id: s-3, tenant: stadtwerke, privacy: personal }", // 4
        "",
      ].join("\n"),
    });
    const p = join(root, "platform.yaml");
    const d = join(root, "devices.yaml");
    expect(problemsOf(root)).toEqual([
      `${p}:2: retention.personal: must be a duration such as 396d, 52w or 720h, or "infinite"`,
      `${p}:4: tenants[0].id: must be lowercase letters, digits and single hyphens, starting with a letter`,
      `${p}:9: tenants[1].kind: must be municipality or utility`,
      `${p}:17: tenants[3].colour: unknown key`,
      `${p}:28: readers[2].read.musterstadt[1]: must be public, personal, open`,
      `${p}:13: tenants[2].retention.personal: personal data must not be kept longer than public data (1827d)`,
      `${p}:19: readers[0].name: "influx-writer" is the platform's own principal; choose another name`,
      `${p}:23: readers[1].read.*: "*" may grant only open, every other class per tenant`,
      `${p}:24: readers[1].read.nowhere: unknown tenant "nowhere" (declare it under tenants)`,
      `${p}:29: readers[3].name: reader "snoop" is already declared at ${p}:21`,
      // s-3's tenant has a problem of its own: no second, misleading "unknown tenant".
      `${d}:3: devices[1].tenant: unknown tenant "nachbarstadt" (declare it under tenants)`,
    ]);
  });

  it("refuses a tenant declared twice, with both places, also across files", () => {
    const root = folder({
      "a.yaml": "tenants: [{ id: musterstadt, name: M, kind: municipality }]\n",
      "b.yaml": "\ntenants:\n  - { id: musterstadt, name: M, kind: utility }\n",
    });
    expect(problemsOf(root)).toEqual([
      `${join(root, "b.yaml")}:3: tenants[0].id: tenant "musterstadt" is already declared at ${join(root, "a.yaml")}:1`,
    ]);
  });

  it("takes the platform's retention from one file only", () => {
    const root = folder({ "a.yaml": "retention: { open: 52w }\n", "b.yaml": "retention:\n  open: 104w\n" });
    expect(problemsOf(root)).toEqual([
      `${join(root, "b.yaml")}:2: retention: the platform's retention is already set at ${join(root, "a.yaml")}:1`,
    ]);
  });

  it("declares the broker's side: the bridge in one file only, each tenant's accounts, devices' topics", () => {
    const bridge = "mqtt: { bridge: { username: b, subscriptions: ['dsmr/{device}/telegram'] } }\n";
    const root = folder({
      "a.yaml": `${bridge}tenants:\n  - { id: town, name: T, kind: municipality }\n  - { id: power, name: P, kind: utility, mqttAccounts: [gw-1, gw-2] }\n`,
      "b.yaml": "devices:\n  - { id: p1-1, tenant: power, privacy: personal, mqtt: { format: dsmr-p1 } }\n",
    });
    expect(loadRegistry(root).mqtt).toEqual({
      bridge: { username: "b", subscriptions: ["dsmr/{device}/telegram"] },
      accounts: [
        { username: "town", tenant: "town" },
        { username: "gw-1", tenant: "power" },
        { username: "gw-2", tenant: "power" },
      ],
      devices: [{ id: "p1-1", tenant: "power", format: "dsmr-p1" }],
    });
    writeFileSync(join(root, "c.yaml"), `\n${bridge}`);
    expect(problemsOf(root)).toEqual([
      `${join(root, "c.yaml")}:2: mqtt: the broker's side is already declared at ${join(root, "a.yaml")}:1`,
    ]);
  });

  it("never keeps personal data for ever, nor longer than public data", () => {
    const root = folder({
      "platform.yaml": [
        "retention: { personal: infinite }", // 1
        "tenants:", // 2
        "  - { id: a, name: A, kind: utility, retention: { public: 30d } }", // 3
        "  - { id: b, name: B, kind: utility, retention: { personal: 60d, public: 30d } }", // 4
        "",
      ].join("\n"),
    });
    const p = join(root, "platform.yaml");
    expect(problemsOf(root)).toEqual([
      `${p}:1: retention.personal: personal data must not be kept for ever (the GDPR's storage limitation)`,
      // Tenant a inherits the platform's breach, already reported once.
      `${p}:4: tenants[1].retention.personal: personal data must not be kept longer than public data (30d)`,
    ]);
    const shorter = folder({
      "t.yaml": "tenants:\n  - { id: a, name: A, kind: utility, retention: { public: 300d } }\n",
    });
    expect(problemsOf(shorter)).toEqual([
      `${join(shorter, "t.yaml")}:2: tenants[0].retention.public: personal data must not be kept longer than public data (300d)`,
    ]);
  });

  it("reads 720h, 52w and 396d, and refuses units without a fixed length, zero and a bare number", () => {
    const root = folder({
      "t.yaml": [
        "tenants:", // 1
        "  - { id: a, name: A, kind: utility, retention: { personal: 720h, public: 52w, open: 396d } }", // 2
        "  - id: b", // 3
        "    name: B", // 4
        "    kind: utility", // 5
        "    retention:", // 6
        "      personal: 1y", // 7
        "      public: 0d", // 8
        "      open: 30", // 9
        "",
      ].join("\n"),
    });
    const t = join(root, "t.yaml");
    const duration = 'must be a duration such as 396d, 52w or 720h, or "infinite"';
    expect(problemsOf(root)).toEqual([
      `${t}:8: tenants[1].retention.public: ${duration}`,
      `${t}:7: tenants[1].retention.personal: ${duration}`,
      `${t}:9: tenants[1].retention.open: Invalid input: expected string, received number`,
    ]);
    writeFileSync(
      t,
      "tenants:\n  - { id: a, name: A, kind: utility, retention: { personal: 720h, public: 52w, open: 396d } }\n",
    );
    expect(loadRegistry(root).tenants[0]?.retention).toEqual({
      personal: 720 * 3_600_000,
      public: 52 * 7 * DAY_MS,
      open: 396 * DAY_MS,
    });
  });

  it("refuses a reader that grants nothing", () => {
    const root = folder({ "r.yaml": "readers:\n  - name: idle\n    read: {}\n" });
    expect(problemsOf(root)).toEqual([
      `${join(root, "r.yaml")}:3: readers[0].read: must grant at least one tenant's class`,
    ]);
  });

  it("lets no reader read the personal data of two tenants", () => {
    const root = folder({
      "platform.yaml": [
        "tenants:",
        "  - { id: stadtwerke-a, name: A, kind: utility }",
        "  - { id: stadtwerke-b, name: B, kind: utility }",
        "readers:",
        "  - name: both",
        "    read: { stadtwerke-a: [personal], stadtwerke-b: [personal, open] }",
        "",
      ].join("\n"),
    });
    expect(problemsOf(root)).toEqual([
      `${join(root, "platform.yaml")}:6: readers[0].read: reads the personal data of "stadtwerke-a" and "stadtwerke-b": a reader may read one tenant's personal data only`,
    ]);
  });
});

describe("the grafana section of the platform declaration", () => {
  const platform = [
    "tenants:",
    "  - { id: musterstadt, name: Stadt Musterstadt, kind: municipality }",
    "  - { id: stadtwerke, name: Stadtwerke, kind: utility }",
    "readers:",
    "  - { name: planners, read: { musterstadt: [public, open] } }",
    "  - { name: metering, read: { stadtwerke: [personal] } }",
  ];

  it("reads per tenant its reader, teams with members, and departments with permissions and dashboards", () => {
    const root = folder({
      "platform.yaml": platform.join("\n"),
      "grafana.yaml": [
        "grafana:",
        "  influxUrl: http://influxdb:8086",
        "  tenants:",
        "    musterstadt:",
        "      reader: planners",
        "      teams: [{ name: verkehr, members: [anna, ben] }]",
        "      departments:",
        "        - { uid: verkehrsplanung, title: Verkehrsplanung, permissions: { verkehr: Edit }, dashboards: [traffic] }",
      ].join("\n"),
    });
    expect(loadRegistry(root).grafana).toEqual({
      influxUrl: "http://influxdb:8086",
      tenants: [
        {
          tenant: "musterstadt",
          reader: "planners",
          teams: [{ name: "verkehr", members: ["anna", "ben"] }],
          departments: [
            {
              uid: "verkehrsplanung",
              title: "Verkehrsplanung",
              permissions: [{ team: "verkehr", permission: "Edit" }],
              dashboards: ["traffic"],
              alerts: [],
            },
          ],
        },
      ],
    });
  });

  it("reads alert rules per department, contact points and the notification policy, the PM10 limit 50 unless declared", () => {
    const root = folder({
      "platform.yaml": platform.join("\n"),
      "grafana.yaml": [
        "grafana:",
        "  influxUrl: http://influxdb:8086",
        "  tenants:",
        "    musterstadt:",
        "      reader: planners",
        "      departments:",
        "        - { uid: umwelt, title: Umwelt, alerts: [pm10-daily-mean, device-silent] }",
        "      alerting:",
        "        contactPoints:",
        "          - { uid: umweltamt, name: Umweltamt, email: [umwelt@musterstadt.example] }",
        "          - { uid: leitstelle, name: Leitstelle, webhook: https://leitstelle.musterstadt.example/hook }",
        "        policy:",
        "          receiver: Leitstelle",
        "          routes: [{ receiver: Umweltamt, department: umwelt }]",
      ].join("\n"),
    });
    const [tenant] = loadRegistry(root).grafana?.tenants ?? [];
    expect(tenant?.departments[0]?.alerts).toEqual(["pm10-daily-mean", "device-silent"]);
    expect(tenant?.alerting).toEqual({
      pm10DailyMeanLimit: 50,
      contactPoints: [
        { uid: "umweltamt", name: "Umweltamt", email: ["umwelt@musterstadt.example"] },
        { uid: "leitstelle", name: "Leitstelle", webhook: "https://leitstelle.musterstadt.example/hook" },
      ],
      policy: {
        receiver: "Leitstelle",
        groupBy: ["grafana_folder", "alertname"],
        routes: [{ receiver: "Umweltamt", department: "umwelt" }],
      },
    });
  });

  it("names the alerting section's problems: an alert placed twice, an unknown receiver or department, a contact point without integration", () => {
    const root = folder({
      "a.yaml": [
        ...platform,
        "grafana:",
        "  influxUrl: http://influxdb:8086",
        "  tenants:",
        "    musterstadt:",
        "      reader: planners",
        "      departments:",
        "        - { uid: umwelt, title: Umwelt, alerts: [pm10-daily-mean] }",
        "        - { uid: verkehr, title: Verkehr, alerts: [pm10-daily-mean] }",
        "      alerting:",
        "        contactPoints:",
        "          - { uid: umweltamt, name: Umweltamt, email: [umwelt@musterstadt.example] }",
        "        policy:",
        "          receiver: Leitstelle",
        "          routes: [{ receiver: Umweltamt, department: energie }]",
      ].join("\n"),
    });
    expect(problemsOf(root)).toEqual([
      expect.stringMatching(
        /a\.yaml:14: grafana\.tenants\.musterstadt\.departments\[1\]\.alerts\[0\]: alert rule "pm10-daily-mean" is already in another folder/,
      ),
      expect.stringMatching(
        /a\.yaml:19: grafana\.tenants\.musterstadt\.alerting\.policy\.receiver: unknown contact point "Leitstelle"/,
      ),
      expect.stringMatching(
        /a\.yaml:20: grafana\.tenants\.musterstadt\.alerting\.policy\.routes\[0\]\.department: unknown department "energie"/,
      ),
    ]);
    const bare = folder({
      "a.yaml": [
        ...platform,
        "grafana:",
        "  influxUrl: http://influxdb:8086",
        "  tenants:",
        "    musterstadt:",
        "      reader: planners",
        "      alerting: { contactPoints: [{ uid: leitstelle, name: Leitstelle }] }",
      ].join("\n"),
    });
    expect(problemsOf(bare)).toEqual([expect.stringMatching(/must have either email or webhook/)]);
  });

  it("names each problem with file and line: unknown tenant, a reader that cannot read the data, an unknown team, a second section", () => {
    const root = folder({
      "a.yaml": [
        ...platform,
        "grafana:",
        "  influxUrl: http://influxdb:8086",
        "  tenants:",
        "    nowhere: { reader: planners }",
        "    stadtwerke: { reader: metering }",
        "    musterstadt:",
        "      reader: planners",
        "      departments:",
        "        - { uid: umwelt, title: Umwelt, permissions: { luft: View } }",
      ].join("\n"),
      "b.yaml": ["grafana:", "  influxUrl: http://influxdb:8086", "  tenants: {}"].join("\n"),
    });
    const problems = problemsOf(root);
    expect(problems).toEqual([
      expect.stringMatching(/b\.yaml:2: grafana: already declared at .*a\.yaml:8$/),
      expect.stringMatching(/a\.yaml:10: grafana\.tenants\.nowhere: unknown tenant "nowhere"/),
      expect.stringMatching(
        /a\.yaml:11: grafana\.tenants\.stadtwerke\.reader: reader "metering" does not read stadtwerke_open/,
      ),
      expect.stringMatching(
        /a\.yaml:15: grafana\.tenants\.musterstadt\.departments\[0\]\.permissions\.luft: unknown team "luft"/,
      ),
    ]);
  });

  it("gives the Prometheus data source only to the organisations it names, and none where it is not declared", () => {
    const grafana = (prometheus: readonly string[]) =>
      folder({
        "platform.yaml": platform.join("\n"),
        "grafana.yaml": [
          "grafana:",
          "  influxUrl: http://influxdb:8086",
          ...prometheus,
          "  tenants:",
          "    musterstadt: { reader: planners }",
        ].join("\n"),
      });
    expect(loadRegistry(grafana([])).grafana?.prometheus).toBeUndefined();
    expect(
      loadRegistry(grafana(["  prometheus: { url: http://prometheus:9090, tenants: [musterstadt] }"])).grafana
        ?.prometheus,
    ).toEqual({ url: "http://prometheus:9090", tenants: ["musterstadt"] });
    expect(problemsOf(grafana(["  prometheus: { url: http://prometheus:9090, tenants: [stadtwerke] }"]))).toEqual([
      expect.stringMatching(
        /grafana\.yaml:3: grafana\.prometheus\.tenants\[0\]: "stadtwerke" has no organisation \(declare it under grafana\.tenants\)/,
      ),
    ]);
  });
});
