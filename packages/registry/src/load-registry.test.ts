import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadRegistry, RegistryError } from "./load-registry.ts";

/** Writes `files` (relative path → text) into a fresh folder and returns it. */
function folder(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), "sf-registry-"));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
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

const CODEC = "function decodeUplink(input) { return { data: { temperature: input.bytes[0] } }; }\n";

/** The tenants the fixtures' devices name, as a file of its own. */
const TENANTS = `tenants:
  - { id: musterstadt, name: Stadt Musterstadt, kind: municipality }
  - { id: anderstadt, name: Stadt Anderstadt, kind: municipality }
`;

const VALID = `${TENANTS}deviceTypes:
  - id: elsys-ers
    description: Elsys ERS room sensor
    fields:
      - { path: temperature, kind: air.temperature, unit: Cel }
      - { path: humidity, kind: air.humidity, unit: "%" }
      - { path: vdd, kind: device.battery_voltage, unit: mV, scale: 1 }
    codec: codecs/elsys-ers.js
    timePath: ts
devices:
  - id: eui-a84041000181c2f1
    tenant: musterstadt
    type: elsys-ers
    location: { lat: 51.0504, lon: 13.7373 }
    district: Altstadt
    department: Umweltamt
    privacy: public
  - id: meter-0001
    tenant: musterstadt
    privacy: personal
`;

describe("loadRegistry", () => {
  it("loads a valid registry with its device types and the codec's source text", () => {
    const root = folder({ "registry.yaml": VALID, "codecs/elsys-ers.js": CODEC });
    const { registry, codecFiles } = loadRegistry(join(root, "registry.yaml"));
    expect(registry.size).toBe(2);
    expect(registry.device("musterstadt", "eui-a84041000181c2f1")).toEqual({
      id: "eui-a84041000181c2f1",
      tenant: "musterstadt",
      location: { lat: 51.0504, lon: 13.7373 },
      district: "Altstadt",
      department: "Umweltamt",
      privacy: "public",
      type: {
        id: "elsys-ers",
        fields: [
          { path: "temperature", kind: "air.temperature", unit: "Cel" },
          { path: "humidity", kind: "air.humidity", unit: "%" },
          { path: "vdd", kind: "device.battery_voltage", unit: "mV", scale: 1 },
        ],
        timePath: "ts",
        codec: CODEC,
      },
    });
    expect(registry.device("musterstadt", "meter-0001")).toEqual({
      id: "meter-0001",
      tenant: "musterstadt",
      privacy: "personal",
    });
    expect(registry.device("anderstadt", "meter-0001")).toBeUndefined();
    expect(codecFiles).toEqual([join(root, "codecs/elsys-ers.js")]);
  });

  it("names file and line of every problem, all at once", () => {
    const root = folder({
      "tenants.yaml": TENANTS,
      "a-types.yaml": [
        "deviceTypes:", // 1
        "  - id: meter", // 2
        "    fields:", // 3
        "      - { path: total, kind: energy.total, unit: kWh }", // 4
        "      - { path: power, kind: energy.active_power, unit: kWh }", // 5
        "  - id: counter", // 6
        "    codec: codecs/missing.js", // 7
        "",
      ].join("\n"),
      "b-devices.yaml": [
        "devices:", // 1
        "  - id: m-1", // 2
        "    tenant: musterstadt", // 3
        "    type: nometer", // 4
        "    location: { lat: 91, lon: 13 }", // 5
        "    privacy: secret", // 6
        "  - id: c-1", // 7
        "    tenant: musterstadt", // 8
        "    type: counter", // 9
        "    privacy: public", // 10
        "    colour: red", // 11
        "  - id: c-2", // 12
        "    tenant: musterstadt", // 13
        "    type: meter", // 14
        "  - id: c-3", // 15
        "    tenant: musterstadt", // 16
        "    privacy: public", // 17
        "  - id: c-3", // 18
        "    tenant: musterstadt", // 19
        "    privacy: public", // 20
        "",
      ].join("\n"),
    });
    const a = join(root, "a-types.yaml");
    const b = join(root, "b-devices.yaml");
    const problems = problemsOf(root);
    expect(problems).toEqual(
      expect.arrayContaining([
        `${a}:4: deviceTypes[0].fields[0].kind: unknown kind "energy.total" (see packages/schemas/src/kinds.ts)`,
        `${a}:5: deviceTypes[0].fields[1].unit: unit "kWh" cannot be converted to kW, the unit of energy.active_power`,
        expect.stringMatching(
          new RegExp(`^${a}:7: deviceTypes\\[1\\]\\.codec: cannot read codecs/missing.js \\(ENOENT`),
        ),
        `${b}:5: devices[0].location.lat: Too big: expected number to be <=90`,
        `${b}:6: devices[0].privacy: must be public or personal`,
        `${b}:11: devices[1].colour: unknown key`,
        `${b}:12: devices[2].privacy: is required`,
        `${b}:18: devices[4].id: device "c-3" of tenant "musterstadt" is already registered at ${b}:15`,
      ]),
    );
    // "meter" failed on its own: devices using it get no second, misleading problem.
    expect(problems.some((p) => p.includes('unknown device type "meter"'))).toBe(false);
    expect(problems).toHaveLength(8);
  });

  it("takes a device's parking site, and refuses one that is no bounded id", () => {
    const devices = (site: string) =>
      `${TENANTS}devices:\n  - id: parking-0001\n    tenant: musterstadt\n    district: Altstadt\n    site: ${site}\n    privacy: public\n`;
    const { registry } = loadRegistry(join(folder({ "registry.yaml": devices("parkhaus-markt") }), "registry.yaml"));
    expect(registry.device("musterstadt", "parking-0001")).toEqual({
      id: "parking-0001",
      tenant: "musterstadt",
      district: "Altstadt",
      site: "parkhaus-markt",
      privacy: "public",
    });
    for (const site of ['"Parkhaus Markt"', "x".repeat(65)]) {
      const root = folder({ "registry.yaml": devices(site) });
      expect(problemsOf(root), site).toEqual([
        expect.stringMatching(new RegExp(`^${join(root, "registry.yaml")}:8: devices\\[0\\]\\.site: `)),
      ]);
    }
  });

  it("reports a device type that does not exist at the device's type line", () => {
    const root = folder({
      "registry.yaml": "devices:\n  - id: m-1\n    tenant: musterstadt\n    type: nometer\n    privacy: public\n",
      "tenants.yaml": TENANTS,
    });
    expect(problemsOf(root)).toEqual([
      `${join(root, "registry.yaml")}:4: devices[0].type: unknown device type "nometer"`,
    ]);
  });

  it("takes a device type's reporting interval as a duration, and refuses one that is not", () => {
    const types = (interval: string) =>
      `${TENANTS}deviceTypes:\n  - id: co2\n    interval: ${interval}\n    fields: [{ path: co2, kind: air.co2, unit: ppm }]\n`;
    expect(loadRegistry(folder({ "registry.yaml": types("10m") })).registry).toBeDefined();
    const root = folder({
      "registry.yaml": `${types("10m")}devices:\n  - { id: d-1, tenant: musterstadt, type: co2, privacy: public }\n`,
    });
    expect(loadRegistry(root).registry.device("musterstadt", "d-1")?.type?.intervalMs).toBe(600_000);
    for (const bad of ['"5"', "5min", "0m", "5s"])
      expect(problemsOf(folder({ "registry.yaml": types(bad) }))).toEqual([
        expect.stringMatching(/registry\.yaml:6: deviceTypes\[0\]\.interval: must be a duration of at least 10s/),
      ]);
  });

  it("takes the kind a device type reports with every message, and refuses an unknown one or one its fields do not map to", () => {
    const types = (extra: string) => `${TENANTS}deviceTypes:\n  - id: counter\n    interval: 5m\n${extra}`;
    const root = folder({
      "registry.yaml": `${types("    reports: traffic.vehicle_count\n")}devices:\n  - { id: d-1, tenant: musterstadt, type: counter, privacy: public }\n`,
    });
    expect(loadRegistry(root).registry.device("musterstadt", "d-1")?.type?.reports).toBe("traffic.vehicle_count");
    expect(problemsOf(folder({ "registry.yaml": types("    reports: traffic.lorries\n") }))).toEqual([
      expect.stringMatching(/registry\.yaml:\d+: deviceTypes\[0\]\.reports: unknown kind "traffic\.lorries"/),
    ]);
    expect(
      problemsOf(
        folder({
          "registry.yaml": types(
            "    reports: air.co2\n    fields: [{ path: temperature, kind: air.temperature, unit: Cel }]\n",
          ),
        }),
      ),
    ).toEqual([
      expect.stringMatching(
        /registry\.yaml:\d+: deviceTypes\[0\]\.reports: "air\.co2" is not among the kinds its fields map to \(air\.temperature\)/,
      ),
    ]);
  });

  it("reports YAML syntax errors with their line", () => {
    const root = folder({ "registry.yaml": "devices:\n  - id: m-1\n    tenant: [musterstadt\n  - id: m-2\n" });
    const [problem] = problemsOf(root);
    expect(problem).toMatch(new RegExp(`^${join(root, "registry.yaml")}:\\d+: `));
  });

  it("merges every YAML file of a folder and its subfolders, and finds a type in another file", () => {
    const root = folder({
      "types/elsys.yml": VALID.slice(0, VALID.indexOf("devices:")),
      "types/codecs/elsys-ers.js": CODEC,
      "musterstadt/sensors.yaml": "devices:\n  - { id: s-1, tenant: musterstadt, type: elsys-ers, privacy: public }\n",
      "anderstadt/sensors.yaml": "devices:\n  - { id: s-1, tenant: anderstadt, type: elsys-ers, privacy: public }\n",
      "notes.txt": "not a registry file",
    });
    const { registry } = loadRegistry(root);
    expect(registry.size).toBe(2);
    expect(registry.device("musterstadt", "s-1")?.type?.id).toBe("elsys-ers");
    expect(registry.tenantsOf("s-1")).toEqual(["anderstadt", "musterstadt"]);
  });

  it("reports a device type defined twice across files with both places", () => {
    const root = folder({
      "a.yaml": "deviceTypes:\n  - id: counter\n",
      "b.yaml": "\ndeviceTypes:\n  - id: counter\n",
    });
    expect(problemsOf(root)).toEqual([
      `${join(root, "b.yaml")}:3: deviceTypes[0].id: device type "counter" is already defined at ${join(root, "a.yaml")}:2`,
    ]);
  });

  it("reads a Kubernetes ConfigMap volume once, through its symlinks, skipping the ..data folders", () => {
    const root = folder({ "..2026_11_25_07_30_00.1/devices.yaml": VALID, "..2026_11_25_07_30_00.1/elsys.js": CODEC });
    symlinkSync("..2026_11_25_07_30_00.1", join(root, "..data"));
    symlinkSync("..data/devices.yaml", join(root, "devices.yaml"));
    mkdirSync(join(root, "codecs"));
    symlinkSync("../..data/elsys.js", join(root, "codecs/elsys-ers.js"));
    expect(loadRegistry(root).registry.size).toBe(2);
  });

  it("refuses a path that does not exist and a folder without YAML files", () => {
    expect(problemsOf("/nonexistent/registry")).toEqual(["/nonexistent/registry: cannot read (ENOENT)"]);
    const empty = folder({ "README.md": "# registry" });
    expect(problemsOf(empty)).toEqual([`${empty}: holds no *.yaml or *.yml file`]);
  });

  it("takes a field's channel, and refuses one that could not be a short InfluxDB tag", () => {
    const root = folder({
      "types.yaml": [
        "deviceTypes:", // 1
        "  - id: two-probes", // 2
        "    fields:", // 3
        "      - { path: t1, kind: air.temperature, unit: Cel, channel: inside }", // 4
        "      - { path: t2, kind: air.temperature, unit: Cel, channel: out side }", // 5
        `      - { path: t3, kind: air.temperature, unit: Cel, channel: ${"x".repeat(33)} }`, // 6
        "",
      ].join("\n"),
    });
    const file = join(root, "types.yaml");
    expect(problemsOf(root)).toEqual([
      `${file}:5: deviceTypes[0].fields[1].channel: must be letters, digits and . _ : @ - only`,
      `${file}:6: deviceTypes[0].fields[2].channel: Too big: expected string to have <=32 characters`,
    ]);
    const good = folder({
      "tenants.yaml": TENANTS,
      "registry.yaml": [
        "deviceTypes:",
        "  - id: two-probes",
        "    fields: [{ path: t1, kind: air.temperature, unit: Cel, channel: inside }]",
        "devices: [{ id: probe-1, tenant: musterstadt, type: two-probes, privacy: public }]",
        "",
      ].join("\n"),
    });
    expect(loadRegistry(good).registry.device("musterstadt", "probe-1")?.type?.fields?.[0]?.channel).toBe("inside");
  });

  it("loads the documented example in infra/registry-example", () => {
    const { registry, tenants, readers } = loadRegistry(join(import.meta.dirname, "../../../infra/registry-example"));
    expect(registry.device("musterstadt", "eui-a84041000181c2f1")?.type?.id).toBe("elsys-ers-co2");
    expect(registry.device("stadtwerke-musterstadt", "p1-0001")?.privacy).toBe("personal");
    expect(registry.device("nachbarstadt", "eui-24e124136b502218")?.type?.id).toBe("milesight-em300-th");
    expect(registry.device("nachbarstadt", "eui-24e124136b502218")?.type?.intervalMs).toBe(600_000);
    expect(registry.devicesOf("nachbarstadt").map((d) => d.id)).toEqual(["eui-24e124136b502218"]);
    expect(tenants.map((t) => [t.id, t.kind])).toEqual([
      ["musterstadt", "municipality"],
      ["nachbarstadt", "municipality"],
      ["stadtwerke-musterstadt", "utility"],
    ]);
    expect(readers.map((r) => r.name)).toEqual([
      "musterstadt-planners",
      "nachbarstadt-planners",
      "stadtwerke-musterstadt-metering",
      "open-data",
    ]);
  });

  it("is a ConfigError, so that start-up stops with exit code 78", () => {
    expect(() => loadRegistry("/nonexistent/registry")).toThrow(/Invalid configuration/);
  });
});
