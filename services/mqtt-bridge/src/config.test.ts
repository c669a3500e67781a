import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError } from "@stadtfluss/errors";
import { describe, expect, it } from "vitest";
import { loadConfig } from "./config.ts";

const source = {
  id: "city",
  url: "mqtt://127.0.0.1:1883",
  subscriptions: [{ topic: "stadtfluss/{tenant}/{device}/up", format: "stadtfluss-json" }],
};

function problems(env: Record<string, string>): readonly string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe("mqtt-bridge configuration", () => {
  it("derives the MQTT filter and a fixed client id from each source", () => {
    const config = loadConfig({ KAFKA_BROKERS: "k:9092", MQTT_SOURCES: JSON.stringify([source]) });
    expect(config.sources[0]?.clientId).toBe("stadtfluss-bridge-city");
    expect(config.sources[0]?.subscriptions[0]?.pattern.filter).toBe("stadtfluss/+/+/up");
  });

  it("names every missing or invalid setting, down to the field inside MQTT_SOURCES", () => {
    const bad = [{ ...source, url: "http://x", subscriptions: [{ topic: "a/{id}", format: "x" }] }];
    const found = problems({ MQTT_SOURCES: JSON.stringify(bad), OPS_PORT: "99999" });
    expect(found).toContain("KAFKA_BROKERS: is required but not set");
    expect(found.some((p) => p.startsWith("OPS_PORT:"))).toBe(true);
    expect(found.some((p) => p.startsWith("MQTT_SOURCES[0].url:"))).toBe(true);
    expect(found).toContain("MQTT_SOURCES[0].subscriptions[0].topic: must contain {device}");
  });

  it("refuses a subscription that cannot tell the tenant", () => {
    const bad = [{ ...source, subscriptions: [{ topic: "sensors/{device}", format: "x" }] }];
    expect(problems({ KAFKA_BROKERS: "k:1", MQTT_SOURCES: JSON.stringify(bad) })).toEqual([
      "MQTT_SOURCES[0].subscriptions[0].tenant: no tenant: put {tenant} in the topic or set tenant on the subscription or source",
    ]);
  });

  it("reports MQTT_SOURCES that is not JSON", () => {
    expect(problems({ KAFKA_BROKERS: "k:1", MQTT_SOURCES: "[{" })[0]).toMatch(/^MQTT_SOURCES: is not valid JSON/);
  });

  it("reads the MQTT password and the CA from their files and never prints the password", () => {
    const dir = mkdtempSync(join(tmpdir(), "sf-bridge-config-"));
    writeFileSync(join(dir, "pw"), "s3cret\n");
    writeFileSync(join(dir, "ca.pem"), "-----BEGIN CERTIFICATE-----\n");
    const config = loadConfig({
      KAFKA_BROKERS: "k:1",
      MQTT_SOURCES: JSON.stringify([
        { ...source, username: "bridge", passwordFile: join(dir, "pw"), caFile: join(dir, "ca.pem") },
      ]),
    });
    expect(config.sources[0]?.password?.reveal()).toBe("s3cret");
    expect(config.sources[0]?.ca).toBe("-----BEGIN CERTIFICATE-----\n");
    expect(JSON.stringify(config)).not.toContain("s3cret");
  });

  it("names a password or CA file that cannot be read, with every other problem", () => {
    const dir = mkdtempSync(join(tmpdir(), "sf-bridge-config-"));
    writeFileSync(join(dir, "empty"), "\n");
    const sources = [
      { ...source, username: "bridge", passwordFile: "/nonexistent/pw", caFile: join(dir, "empty") },
      { ...source, id: "other", caFile: dir },
    ];
    expect(problems({ KAFKA_BROKERS: "k:1", MQTT_SOURCES: JSON.stringify(sources), OPS_PORT: "x" })).toEqual([
      "OPS_PORT: must be a whole number",
      "MQTT_SOURCES[0].passwordFile: cannot read /nonexistent/pw (ENOENT)",
      `MQTT_SOURCES[0].caFile: ${join(dir, "empty")} is empty`,
      `MQTT_SOURCES[1].caFile: cannot read ${dir} (EISDIR)`,
    ]);
  });

  it("refuses credentials inside the URL and points to username and passwordFile", () => {
    const bad = [{ ...source, url: "mqtts://bridge:pw-in-url-31@mqtt.stadt.example:8883" }];
    const found = problems({ KAFKA_BROKERS: "k:1", MQTT_SOURCES: JSON.stringify(bad) });
    expect(found).toEqual([
      "MQTT_SOURCES[0].url: must not hold credentials (user:password@); give them as username and passwordFile",
    ]);
  });

  it("refuses a password file without a username, which MQTT cannot send", () => {
    const dir = mkdtempSync(join(tmpdir(), "sf-bridge-config-"));
    writeFileSync(join(dir, "pw"), "s3cret\n");
    const bad = [{ ...source, passwordFile: join(dir, "pw") }];
    expect(problems({ KAFKA_BROKERS: "k:1", MQTT_SOURCES: JSON.stringify(bad) })).toEqual([
      "MQTT_SOURCES[0].username: is required with passwordFile",
    ]);
  });

  it("bounds the bytes in flight per source, 64 MiB unless set, and refuses a bound that is no whole number of bytes", () => {
    const sources = JSON.stringify([source]);
    expect(loadConfig({ KAFKA_BROKERS: "k:1", MQTT_SOURCES: sources }).maxInFlightBytes).toBe(64 * 1024 * 1024);
    expect(
      loadConfig({ KAFKA_BROKERS: "k:1", MQTT_SOURCES: sources, BRIDGE_MAX_IN_FLIGHT_BYTES: "1048576" })
        .maxInFlightBytes,
    ).toBe(1_048_576);
    expect(problems({ KAFKA_BROKERS: "k:1", MQTT_SOURCES: sources, BRIDGE_MAX_IN_FLIGHT_BYTES: "64MB" })).toEqual([
      "BRIDGE_MAX_IN_FLIGHT_BYTES: must be a whole number",
    ]);
    expect(problems({ KAFKA_BROKERS: "k:1", MQTT_SOURCES: sources, BRIDGE_MAX_IN_FLIGHT_BYTES: "0" })[0]).toMatch(
      /^BRIDGE_MAX_IN_FLIGHT_BYTES: /,
    );
  });

  it("takes a source's keepalive in seconds, 60 unless set", () => {
    const config = loadConfig({
      KAFKA_BROKERS: "k:1",
      MQTT_SOURCES: JSON.stringify([source, { ...source, id: "ttn", keepalive: 15 }]),
    });
    expect(config.sources.map((s) => s.keepalive)).toEqual([60, 15]);
    expect(problems({ KAFKA_BROKERS: "k:1", MQTT_SOURCES: JSON.stringify([{ ...source, keepalive: 0 }]) })[0]).toMatch(
      /^MQTT_SOURCES\[0\]\.keepalive: /,
    );
  });

  it("refuses two sources with one client id on the same broker: they would take each other's session", () => {
    const sources = [
      { ...source, clientId: "bridge" },
      { ...source, id: "ttn", clientId: "bridge" },
    ];
    expect(problems({ KAFKA_BROKERS: "k:1", MQTT_SOURCES: JSON.stringify(sources) })).toEqual([
      "MQTT_SOURCES[1].clientId: another source uses this client id on the same broker",
    ]);
  });
});
