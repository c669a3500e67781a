import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type MosquittoServer, startMosquitto } from "@stadtfluss/testing";
import mqtt, { type MqttClient } from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  bridgeSubscribeFilters,
  type MosquittoFiles,
  tenantPublishFilters,
  verifyPassword,
  writeMosquittoFiles,
} from "./index.ts";

/** Two municipalities and a utility with a DSMR meter, whose topic names no tenant. */
const devices = [
  { id: "traffic-0001", tenant: "musterstadt" },
  { id: "traffic-0001", tenant: "nachbarstadt" },
  { id: "dsmr-0001", tenant: "stadtwerke", format: "dsmr-p1" },
  { id: "dsmr-0002", tenant: "nachbarstadt", format: "dsmr-p1" },
];

describe("generated password and ACL files on the real Mosquitto", () => {
  const dir = mkdtempSync(join(tmpdir(), "sf-mosquitto-config-"));
  let broker: MosquittoServer;
  let files: MosquittoFiles;
  const clients: MqttClient[] = [];
  const secret = (username: string) => readFileSync(files.secretFiles[username] ?? "", "utf8").trim();
  const login = async (username: string, password = secret(username)) => {
    const client = await mqtt.connectAsync(broker.url, { username, password, reconnectPeriod: 0 });
    clients.push(client);
    return client;
  };

  beforeAll(async () => {
    files = writeMosquittoFiles(
      {
        accounts: [...tenantPublishFilters(devices)].map(([tenant, publish]) => ({
          username: tenant,
          tenant,
          publish,
        })),
        bridge: {
          username: "stadtfluss-bridge",
          subscribe: bridgeSubscribeFilters([
            { topic: "stadtfluss/{tenant}/{device}/up" },
            { topic: "dsmr/{device}/telegram" },
          ]),
        },
      },
      { dir },
    );
    broker = await startMosquitto({ auth: { passwordFile: files.passwordFile, aclFile: files.aclFile } });
  });

  afterAll(async () => {
    await Promise.all(clients.map((client) => client.endAsync()));
    await broker?.stop();
  });

  it("lets a tenant publish in its own tree and devices, and drops what it publishes for another tenant", async () => {
    const bridge = await login("stadtfluss-bridge");
    const received: string[] = [];
    bridge.on("message", (topic, payload) => received.push(`${topic} ${payload}`));
    await bridge.subscribeAsync(["stadtfluss/+/+/up", "dsmr/+/telegram"], { qos: 1 });

    const muster = await login("musterstadt");
    const nachbar = await login("nachbarstadt");
    const stadtwerke = await login("stadtwerke");
    // Mosquitto acknowledges a refused QoS 1 publish and drops it (MQTT 3.1.1 has no way to say no).
    await muster.publishAsync("stadtfluss/nachbarstadt/traffic-0001/up", "forged tree", { qos: 1 });
    await muster.publishAsync("dsmr/dsmr-0001/telegram", "forged meter", { qos: 1 });
    await stadtwerke.publishAsync("dsmr/dsmr-0002/telegram", "another utility's meter", { qos: 1 });
    await stadtwerke.publishAsync("stadtfluss/stadtwerke/dsmr-0001/up", "a tree without devices", { qos: 1 });
    // One connection's messages arrive in order: once the last of each has come, the refused ones never will.
    await muster.publishAsync("stadtfluss/musterstadt/traffic-0001/up", "own", { qos: 1 });
    await nachbar.publishAsync("dsmr/dsmr-0002/telegram", "own meter", { qos: 1 });
    await stadtwerke.publishAsync("dsmr/dsmr-0001/telegram", "own meter", { qos: 1 });
    await expect.poll(() => received.length, { timeout: 10_000 }).toBe(3);
    expect(received.sort()).toEqual([
      "dsmr/dsmr-0001/telegram own meter",
      "dsmr/dsmr-0002/telegram own meter",
      "stadtfluss/musterstadt/traffic-0001/up own",
    ]);
  });

  it("lets no tenant read, and lets the bridge keep its retained subscription record", async () => {
    const muster = await login("musterstadt");
    const overheard: string[] = [];
    muster.on("message", (topic) => overheard.push(topic));
    await muster.subscribeAsync("#", { qos: 1 });

    const bridge = await login("stadtfluss-bridge");
    const record = "stadtfluss-bridge/acl-test/subscriptions";
    await bridge.publishAsync(record, "{}", { qos: 1, retain: true });
    const reader = await login("stadtfluss-bridge");
    const seen: string[] = [];
    reader.on("message", (topic) => seen.push(topic));
    await reader.subscribeAsync(record, { qos: 1 });
    await expect.poll(() => seen, { timeout: 10_000 }).toEqual([record]);
    const watcher = await login("stadtfluss-bridge");
    const fromDevices: string[] = [];
    watcher.on("message", (_topic, payload) => fromDevices.push(String(payload)));
    await watcher.subscribeAsync("stadtfluss/+/+/up", { qos: 1 });
    // The bridge has no write line for device topics.
    await bridge.publishAsync("stadtfluss/musterstadt/traffic-0001/up", "from the bridge", { qos: 1 });
    await muster.publishAsync("stadtfluss/musterstadt/traffic-0001/up", "own", { qos: 1 });
    await expect.poll(() => fromDevices, { timeout: 10_000 }).toEqual(["own"]);
    expect(overheard).toEqual([]);
  });

  it("refuses a wrong password and an unknown account", async () => {
    await expect(login("musterstadt", "wrong-pw-3c1d")).rejects.toThrow(/Not authorized/i);
    await expect(login("nachbarstadt", secret("musterstadt"))).rejects.toThrow(/Not authorized/i);
    await expect(login("somebody", "x")).rejects.toThrow(/Not authorized/i);
    await expect(mqtt.connectAsync(broker.url, { reconnectPeriod: 0 })).rejects.toThrow(/Not authorized/i);
  });

  it("writes entries in mosquitto_passwd's format: each verifies the other's", () => {
    const theirs = join(dir, "mosquitto_passwd");
    writeFileSync(theirs, "");
    execFileSync("mosquitto_passwd", ["-b", theirs, "someone", "their-pw-0b7e"]);
    const [, entry] = readFileSync(theirs, "utf8").trim().split(/:(.*)/);
    expect(verifyPassword("their-pw-0b7e", entry ?? "")).toBe(true);
    expect(verifyPassword("their-pw-0b7f", entry ?? "")).toBe(false);
  });
});
