import { spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { mqttSubscriptions } from "@stadtfluss/simulator/device-catalogue";
import { repositoryRoot } from "@stadtfluss/testing";
import { describe, expect, it } from "vitest";
import {
  aclFile,
  bridgeSubscribeFilters,
  hashPassword,
  type MqttAccounts,
  readAccountsFile,
  readDeclaration,
  tenantPublishFilters,
  verifyPassword,
  writeMosquittoFiles,
} from "./index.ts";

const accounts: MqttAccounts = {
  accounts: [
    { username: "nachbarstadt", tenant: "nachbarstadt", publish: ["stadtfluss/nachbarstadt/+/up"] },
    { username: "musterstadt", tenant: "musterstadt", publish: ["stadtfluss/musterstadt/+/up", "dsmr/p1-7/telegram"] },
  ],
  bridge: { username: "stadtfluss-bridge", subscribe: ["stadtfluss/+/+/up", "dsmr/+/telegram"] },
};

describe("hashPassword", () => {
  it("writes Mosquitto's $7$ entry with a fresh 12-byte salt and a 64-byte PBKDF2-SHA512 hash", () => {
    const [first, second] = [hashPassword("secret"), hashPassword("secret")];
    const [, , iterations, salt, hash] = first.split("$");
    expect(first.startsWith("$7$")).toBe(true);
    expect(Number(iterations)).toBeGreaterThanOrEqual(101);
    expect(Buffer.from(salt ?? "", "base64")).toHaveLength(12);
    expect(Buffer.from(hash ?? "", "base64")).toHaveLength(64);
    expect(second).not.toBe(first);
    expect(verifyPassword("secret", first)).toBe(true);
    expect(verifyPassword("secret!", first)).toBe(false);
    expect(() => verifyPassword("secret", "$6$abc$def")).toThrow(/not a Mosquitto \$7\$/);
  });
});

describe("aclFile", () => {
  it("lets each account only write its filters and the bridge only read, apart from its subscription record", () => {
    const lines = aclFile(accounts).split("\n");
    const block = (user: string) => {
      const start = lines.indexOf(`user ${user}`);
      const end = lines.findIndex((line, i) => i > start && line === "");
      return lines.slice(start + 1, end === -1 ? undefined : end).filter(Boolean);
    };
    expect(block("musterstadt")).toEqual(["topic write dsmr/p1-7/telegram", "topic write stadtfluss/musterstadt/+/up"]);
    expect(block("nachbarstadt")).toEqual(["topic write stadtfluss/nachbarstadt/+/up"]);
    expect(block("stadtfluss-bridge")).toEqual([
      "topic read $SYS/broker/publish/messages/dropped",
      "topic read dsmr/+/telegram",
      "topic read stadtfluss/+/+/up",
      "topic readwrite stadtfluss-bridge/+/subscriptions",
    ]);
    // No line before the first `user` would apply to anonymous clients.
    expect(lines.findIndex((line) => line.startsWith("topic") || line.startsWith("pattern"))).toBeGreaterThan(
      lines.findIndex((line) => line.startsWith("user ")),
    );
  });

  it("refuses names and filters that would split or widen a line of Mosquitto's files", () => {
    const withAccount = (username: string, publish: string[]): MqttAccounts => ({
      ...accounts,
      accounts: [{ username, tenant: "x", publish }],
    });
    expect(() => aclFile(withAccount("a:b", ["x/y"]))).toThrow(/username "a:b"/);
    expect(() => aclFile(withAccount("a b", ["x/y"]))).toThrow(/username "a b"/);
    expect(() => aclFile(withAccount("a", ["x/y\nuser b"]))).toThrow(/not an MQTT topic filter/);
    expect(() => aclFile(withAccount("a", ["x/y+/z"]))).toThrow(/not an MQTT topic filter/);
    expect(() => aclFile(withAccount("a", ["x/#/z"]))).toThrow(/not an MQTT topic filter/);
    expect(() => aclFile(withAccount("stadtfluss-bridge", ["x"]))).toThrow(/declared twice/);
  });
});

describe("tenantPublishFilters", () => {
  it("gives formats that name the tenant its tree and the others one line per device", () => {
    const filters = tenantPublishFilters([
      { id: "traffic-0001", tenant: "musterstadt" },
      { id: "traffic-0002", tenant: "musterstadt", format: "stadtfluss-json" },
      { id: "dsmr-0001", tenant: "stadtwerke", format: "dsmr-p1" },
      { id: "tasmota-0001", tenant: "stadtwerke", format: "tasmota-sml" },
      { id: "esp8266-42", tenant: "musterstadt", format: "sensor-community" },
      { id: "a84041aa000001", tenant: "musterstadt", format: "chirpstack-v4" },
      { id: "urn:dev:mac:0024befffe010000", tenant: "musterstadt", format: "senml" },
      {
        id: "parking-0001",
        tenant: "musterstadt",
        format: "ttn-v3",
        topic: "v3/parking@musterstadt/devices/parking-0001/up",
      },
    ]);
    expect(Object.fromEntries(filters)).toEqual({
      musterstadt: [
        "airrohr/esp8266-42/data",
        "application/+/device/a84041aa000001/event/up",
        "senml/urn:dev:mac:0024befffe010000",
        "stadtfluss/musterstadt/+/up",
        "v3/parking@musterstadt/devices/parking-0001/up",
      ],
      stadtwerke: ["dsmr/dsmr-0001/telegram", "tele/tasmota-0001/SENSOR"],
    });
  });

  it("refuses a device whose topic it cannot know or whose id would widen the filter", () => {
    expect(() => tenantPublishFilters([{ id: "parking-0001", tenant: "musterstadt", format: "ttn-v3" }])).toThrow(
      "device musterstadt/parking-0001: format ttn-v3 has no default topic; declare the device's topic",
    );
    expect(() => tenantPublishFilters([{ id: "p1+", tenant: "stadtwerke", format: "dsmr-p1" }])).toThrow(
      /its device cannot be an MQTT topic level/,
    );
    expect(() => tenantPublishFilters([{ id: "a", tenant: "x/#" }])).toThrow(/its tenant cannot be/);
  });
});

describe("bridgeSubscribeFilters", () => {
  it("turns the bridge's topic patterns into the filters it subscribes", () => {
    expect(bridgeSubscribeFilters(mqttSubscriptions({ tenant: "musterstadt", topicPrefix: "stadtfluss" }))).toEqual([
      "airrohr/+/data",
      "application/+/device/+/event/up",
      "dsmr/+/telegram",
      "senml/+",
      "stadtfluss/+/+/up",
      "tele/+/SENSOR",
      "v3/+/devices/+/up",
    ]);
  });
});

describe("writeMosquittoFiles", () => {
  it("creates each password once (0600), keeps matching entries, and takes given password files", () => {
    const dir = mkdtempSync(join(tmpdir(), "sf-mosquitto-files-"));
    const given = join(dir, "bridge.pw");
    writeFileSync(given, "bridge-secret\n", { mode: 0o600 });
    const options = { dir: join(dir, "out"), passwordFiles: { "stadtfluss-bridge": given }, iterations: 101 };

    const first = writeMosquittoFiles(accounts, options);
    expect(first.createdSecrets.map((file) => file.slice(dir.length))).toEqual([
      "/out/secrets/musterstadt.password",
      "/out/secrets/nachbarstadt.password",
    ]);
    expect(first.secretFiles["stadtfluss-bridge"]).toBe(given);
    for (const file of [...first.createdSecrets, first.passwordFile]) expect(statSync(file).mode & 0o777).toBe(0o600);
    const entries = new Map(
      readFileSync(first.passwordFile, "utf8")
        .trim()
        .split("\n")
        .map((line) => line.split(/:(.*)/) as [string, string]),
    );
    expect([...entries.keys()]).toEqual(["musterstadt", "nachbarstadt", "stadtfluss-bridge"]);
    expect(verifyPassword("bridge-secret", entries.get("stadtfluss-bridge") ?? "")).toBe(true);
    const muster = readFileSync(first.secretFiles.musterstadt ?? "", "utf8").trim();
    expect(verifyPassword(muster, entries.get("musterstadt") ?? "")).toBe(true);

    const before = readFileSync(first.passwordFile, "utf8");
    const second = writeMosquittoFiles(accounts, options);
    expect(second.createdSecrets).toEqual([]);
    expect(readFileSync(second.passwordFile, "utf8")).toBe(before);

    chmodSync(given, 0o644);
    expect(() => writeMosquittoFiles(accounts, options)).toThrow(/readable by others; chmod 600 it/);
  });
});

describe("infra/mosquitto/acl", () => {
  it("is what the declaration in infra/registry-example generates", () => {
    const root = repositoryRoot();
    const source = "infra/registry-example";
    expect(readFileSync(join(root, "infra/mosquitto/acl"), "utf8")).toBe(
      aclFile(readDeclaration(join(root, source)), { source }),
    );
  });
});

describe("readDeclaration", () => {
  const declare = (yaml: string) => {
    const dir = mkdtempSync(join(tmpdir(), "sf-mqtt-declaration-"));
    writeFileSync(join(dir, "platform.yaml"), yaml);
    return dir;
  };
  const tenants = `tenants:
  - { id: town, name: Town, kind: municipality }
  - { id: power, name: Power, kind: utility, mqttAccounts: [power-gw-1, power-gw-2] }
devices:
  - { id: m-1, tenant: power, privacy: personal, mqtt: { format: tasmota-sml } }
  - { id: m-2, tenant: power, privacy: personal, mqtt: { topic: meters/m-2 } }
  - { id: c-1, tenant: town, privacy: public }
`;
  const bridge =
    "mqtt: { bridge: { username: b, subscriptions: ['stadtfluss/{tenant}/{device}/up', 'tele/{device}/SENSOR'] } }\n";

  it("gives each tenant its accounts (one named like it by default) and its devices' topics", () => {
    expect(readDeclaration(declare(bridge + tenants))).toEqual({
      accounts: [
        { username: "town", tenant: "town", publish: ["stadtfluss/town/+/up"] },
        {
          username: "power-gw-1",
          tenant: "power",
          publish: ["meters/m-2", "stadtfluss/power/+/up", "tele/m-1/SENSOR"],
        },
        {
          username: "power-gw-2",
          tenant: "power",
          publish: ["meters/m-2", "stadtfluss/power/+/up", "tele/m-1/SENSOR"],
        },
      ],
      bridge: { username: "b", subscribe: ["stadtfluss/+/+/up", "tele/+/SENSOR"] },
    });
  });

  it("names what is missing or wrong, with the registry's file and line", () => {
    const withoutBridge = declare(tenants);
    expect(() => readDeclaration(withoutBridge)).toThrow(`${withoutBridge}: declares no mqtt.bridge`);
    const twice = declare(`${bridge}${tenants.replace("[power-gw-1, power-gw-2]", "[town]")}`);
    expect(() => readDeclaration(twice)).toThrow('MQTT username "town" is declared twice');
    const misspelt = declare(`${bridge}${tenants.replace("mqtt: { format", "mqtt: { formats")}`);
    expect(() => readDeclaration(misspelt)).toThrow(/platform\.yaml:6: devices\[0\]\.mqtt\.formats: unknown key/);
  });
});

describe("readAccountsFile", () => {
  it("gives each account its tenant's tree and devices, and names what is wrong", () => {
    const dir = mkdtempSync(join(tmpdir(), "sf-accounts-"));
    const file = join(dir, "accounts.yaml");
    const bridge =
      "bridge: { username: b, subscriptions: ['stadtfluss/{tenant}/{device}/up', 'tele/{device}/SENSOR'] }";
    writeFileSync(
      file,
      `${bridge}\naccounts: [{ username: sw, tenant: stadtwerke }]\ndevices: [{ id: t-1, tenant: stadtwerke, format: tasmota-sml }]\n`,
    );
    expect(readAccountsFile(file)).toEqual({
      accounts: [{ username: "sw", tenant: "stadtwerke", publish: ["stadtfluss/stadtwerke/+/up", "tele/t-1/SENSOR"] }],
      bridge: { username: "b", subscribe: ["stadtfluss/+/+/up", "tele/+/SENSOR"] },
    });
    writeFileSync(
      file,
      `${bridge}\naccounts: [{ username: sw, tenant: stadtwerke }]\ndevices: [{ id: t-1, tenant: other }]\n`,
    );
    expect(() => readAccountsFile(file)).toThrow(`${file}: device other/t-1: no account publishes for tenant other`);
    writeFileSync(file, `${bridge}\naccounts: [{ username: sw }]\n`);
    expect(() => readAccountsFile(file)).toThrow(`${file}: accounts.0.tenant: `);
  });
});

describe("pnpm mosquitto-files", () => {
  const main = join(import.meta.dirname, "main.ts");
  const run = (...args: string[]) => spawnSync(process.execPath, [main, ...args], { encoding: "utf8" });

  it("writes the files, names the secrets it created and never prints a password", () => {
    const out = mkdtempSync(join(tmpdir(), "sf-mosquitto-cli-"));
    const declaration = join(repositoryRoot(), "infra/registry-example");
    const first = run("--declaration", declaration, "--out", out);
    expect(first.status).toBe(0);
    expect(first.stdout).toContain(`created ${join(out, "secrets", "musterstadt.password")} (0600)`);
    const password = readFileSync(join(out, "secrets", "musterstadt.password"), "utf8").trim();
    expect(first.stdout + first.stderr).not.toContain(password);
    const second = run("--declaration", declaration, "--out", out);
    expect(second.status).toBe(0);
    expect(second.stdout).not.toContain("created");
  });

  it("exits 78 naming the problem of a bad accounts file", () => {
    const file = join(mkdtempSync(join(tmpdir(), "sf-mosquitto-cli-")), "accounts.yaml");
    writeFileSync(file, "bridge: { username: 'a b', subscriptions: ['x/{device}'] }\naccounts: []\n");
    const result = run("--accounts", file, "--print-acl");
    expect(result.status).toBe(78);
    expect(result.stderr).toContain(`mosquitto-files: ${file}: MQTT username "a b" must be`);
  });
});
