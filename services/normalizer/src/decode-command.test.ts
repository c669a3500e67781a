import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const COMMAND = join(import.meta.dirname, "decode-command.ts");

/** `pnpm decode` as the operator runs it: its own process, the payload on standard input. */
function decode(args: string[], payload: string | object) {
  const result = spawnSync(process.execPath, [COMMAND, ...args], {
    input: typeof payload === "string" ? payload : JSON.stringify(payload),
    encoding: "utf8",
    env: { ...process.env, NODE_NO_WARNINGS: "1" },
    timeout: 30_000,
  });
  const lines = result.stdout.split("\n").filter((line) => line !== "");
  return {
    code: result.status,
    observations: lines.map((line) => JSON.parse(line) as Record<string, unknown>),
    stdout: result.stdout,
    stderr: result.stderr,
  };
}

const now = () => new Date(Math.floor(Date.now() / 1000) * 1000);
const topic = ["--format", "stadtfluss-json", "--topic", "stadtfluss/musterstadt/meter-0007/up"];
const meterPayload = (time: string) => ({
  seq: 5,
  time,
  readings: [
    { kind: "energy.active_import", value: 1234, unit: "Wh" },
    { kind: "energy.active_power", value: 350, unit: "W" },
  ],
});

function registryFile(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), "sf-decode-"));
  writeFileSync(join(dir, "devices.yaml"), text);
  return join(dir, "devices.yaml");
}

describe("pnpm decode", () => {
  it("refuses readings that need a channel as the pipeline does by default, and prints them under version 2", () => {
    const lanes = {
      time: now().toISOString(),
      readings: [
        { kind: "traffic.vehicle_count", value: 12, unit: "{vehicle}", channel: "lane-1" },
        { kind: "traffic.vehicle_count", value: 7, unit: "{vehicle}", channel: "lane-2" },
      ],
    };
    const v1 = decode(topic, lanes);
    expect(v1.code).toBe(1);
    expect(v1.stderr).toMatch(/^decode: refused at stage identity: .*NORMALIZER_OBSERVATION_VERSION=2/);
    const v2 = decode([...topic, "--observation-version", "2"], lanes);
    expect(v2.code).toBe(0);
    expect(v2.observations.map((o) => [o.channel, o.value])).toEqual([
      ["lane-1", 12],
      ["lane-2", 7],
    ]);
    // v3 and v4 pack the same observations into fewer records: what they print is v2's.
    for (const version of ["3", "4"]) {
      const packed = decode([...topic, "--observation-version", version], lanes);
      expect(packed.observations.map((o) => [o.channel, o.value])).toEqual([
        ["lane-1", 12],
        ["lane-2", 7],
      ]);
    }
    expect(decode([...topic, "--observation-version", "5"], lanes).code).toBe(2);
  });

  it("prints each observation as one JSON line, with the device and tenant from the topic", () => {
    const time = now();
    const result = decode(topic, meterPayload(time.toISOString()));
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.observations).toEqual([
      expect.objectContaining({
        tenant: "musterstadt",
        deviceId: "meter-0007",
        kind: "energy.active_import",
        value: 1.234,
        unit: "kW.h",
        observedAt: time.toISOString(),
        seq: 5,
      }),
      expect.objectContaining({ deviceId: "meter-0007", kind: "energy.active_power", value: 0.35, unit: "kW" }),
    ]);
  });

  it("exits 1 with the stage and reason for a payload the pipeline would dead-letter, printing nothing", () => {
    const notJson = decode(topic, "{nope");
    expect(notJson.code).toBe(1);
    expect(notJson.stdout).toBe("");
    expect(notJson.stderr).toMatch(/refused at stage decode: payload is not JSON/);

    const wrongUnit = decode(topic, {
      time: now().toISOString(),
      readings: [{ kind: "energy.active_import", value: 1, unit: "W" }],
    });
    expect(wrongUnit.code).toBe(1);
    expect(wrongUnit.stdout).toBe("");
    expect(wrongUnit.stderr).toMatch(/refused at stage convert: unit "W" cannot be converted/);
  });

  it("adds what the registry knows, and refuses a device the registry does not know", () => {
    const registry = registryFile(
      "tenants: [{ id: musterstadt, name: Musterstadt, kind: municipality }]\n" +
        "devices:\n  - id: meter-0007\n    tenant: musterstadt\n    district: Altstadt\n" +
        "    location: { lat: 51.0504, lon: 13.7373 }\n    privacy: personal\n",
    );
    const known = decode([...topic, "--registry", registry], meterPayload(now().toISOString()));
    expect(known.code).toBe(0);
    expect(known.observations).toHaveLength(2);
    for (const observation of known.observations)
      expect(observation).toMatchObject({
        district: "Altstadt",
        location: { lat: 51.0504, lon: 13.7373 },
        privacy: "personal",
      });

    const unknown = decode(
      ["--format", "stadtfluss-json", "--topic", "stadtfluss/musterstadt/meter-4711/up", "--registry", registry],
      meterPayload(now().toISOString()),
    );
    expect(unknown.code).toBe(1);
    expect(unknown.stdout).toBe("");
    expect(unknown.stderr).toMatch(/refused at stage enrich: unknown device meter-4711 of tenant musterstadt/);
  });

  it("takes the tenant from the registry when neither topic nor --tenant name one", () => {
    const registry = registryFile(
      "tenants: [{ id: anderstadt, name: Anderstadt, kind: municipality }]\n" +
        "devices:\n  - { id: meter-0007, tenant: anderstadt, privacy: public }\n",
    );
    const result = decode(
      ["--format", "stadtfluss-json", "--device", "meter-0007", "--registry", registry],
      meterPayload(now().toISOString()),
    );
    expect(result.code).toBe(0);
    expect(result.observations[0]).toMatchObject({ tenant: "anderstadt", deviceId: "meter-0007", privacy: "public" });
  });

  it("runs a registered device type's codec in the sandbox, as the pipeline does", () => {
    // The Device Repository's own example frame and codec, kept with the ttn-v3 fixtures.
    const fixture = join(import.meta.dirname, "decoders/testdata/ttn-v3/codec-device-repository-example");
    const dir = mkdtempSync(join(tmpdir(), "sf-decode-"));
    writeFileSync(
      join(dir, "em300-th.js"),
      readFileSync(join(import.meta.dirname, "decoders/testdata-codecs/milesight-em300-th.js")),
    );
    writeFileSync(
      join(dir, "registry.yaml"),
      "deviceTypes:\n  - id: milesight-em300-th\n    codec: em300-th.js\n    fields:\n" +
        '      - { path: temperature, kind: air.temperature, unit: "°C" }\n' +
        "tenants: [{ id: musterstadt, name: Musterstadt, kind: municipality }]\n" +
        "devices:\n  - { id: eui-1000000000000001, tenant: musterstadt, type: milesight-em300-th, privacy: public }\n",
    );
    const result = decode(
      [
        "--format",
        "ttn-v3",
        "--topic",
        "v3/application-tts-name@ttn/devices/eui-1000000000000001/up",
        "--registry",
        join(dir, "registry.yaml"),
      ],
      readFileSync(join(fixture, "input.json"), "utf8"),
    );
    expect(result.code).toBe(0);
    expect(result.observations).toContainEqual(
      expect.objectContaining({ tenant: "musterstadt", kind: "air.temperature", value: 20, unit: "Cel" }),
    );
    expect(result.stderr).toMatch(/^unmapped: battery$/m);
  });

  it("warns about an implausible time on stderr but still prints the observations", () => {
    const result = decode(topic, meterPayload("2020-01-15T10:00:00Z"));
    expect(result.code).toBe(0);
    expect(result.observations).toHaveLength(2);
    expect(result.observations[0]?.observedAt).toBe("2020-01-15T10:00:00.000Z");
    const warnings = result.stderr.split("\n").filter((line) => line.startsWith("WARNING:"));
    // One warning per distinct time, not one per reading.
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^WARNING: observedAt 2020-01-15T10:00:00.000Z is \d+ days old .*stage policy$/);
  });

  it.each([
    ["no --format", ["--topic", "a/b"], /--format is required/],
    ["an unknown option", ["--format", "stadtfluss-json", "--colour", "red"], /Unknown option '--colour'/],
    ["an unknown format", ["--format", "morse"], /unknown format "morse"; known: .*stadtfluss-json/],
    ["a time zone that does not exist", [...topic, "--time-zone", "Europe/Musterstadt"], /not an IANA time zone/],
    ["a topic filter instead of a topic", ["--format", "stadtfluss-json", "--topic", "a/+/up"], /not a filter/],
    ["a stray argument", [...topic, "payload.json"], /positional/i],
  ])("exits 2 with the usage for %s", (_, args, reason) => {
    const result = decode(args, "{}");
    expect(result.code).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr).toMatch(reason);
    expect(result.stderr).toContain("usage: pnpm decode --format <id>");
  });

  it("exits 2 with every problem of a broken registry, each with file and line", () => {
    const registry = registryFile(
      "devices:\n  - id: meter-0007\n    tenant: musterstadt\n    privacy: secret\n  - { id: m-8, tenant: nowhere, privacy: public }\n",
    );
    const result = decode([...topic, "--registry", registry], meterPayload(now().toISOString()));
    expect(result.code).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr).toContain(`${registry}:4: devices[0].privacy: must be public or personal`);
    expect(result.stderr).toContain(
      `${registry}:5: devices[1].tenant: unknown tenant "nowhere" (declare it under tenants)`,
    );
  });
});
