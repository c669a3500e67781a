import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { deadLetterHeaders, headerString, topicsFor } from "@stadtfluss/kafka";
import {
  freePort,
  type MosquittoServer,
  readMessages,
  repositoryRoot,
  startMosquitto,
  startWorker,
  uniqueName,
} from "@stadtfluss/testing";
import mqtt from "mqtt";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { startPipeline } from "./pipeline.ts";

const servers = inject("servers");
const secrets = { bridge: "bridge-pw-4d1c", musterstadt: "muster-pw-77a0", nachbarstadt: "nachbar-pw-c3e9" };

describe("MQTT with passwords and per-tenant ACLs (infra/mosquitto/acl)", () => {
  const dir = mkdtempSync(join(tmpdir(), "sf-security-"));
  let broker: MosquittoServer;

  beforeAll(async () => {
    const passwordFile = join(dir, "passwords");
    writeFileSync(passwordFile, "");
    for (const [user, password] of [
      ["stadtfluss-bridge", secrets.bridge],
      ["musterstadt", secrets.musterstadt],
      ["nachbarstadt", secrets.nachbarstadt],
    ] as const) {
      execFileSync("mosquitto_passwd", ["-b", passwordFile, user, password]);
    }
    broker = await startMosquitto({ auth: { passwordFile, aclFile: join(repositoryRoot(), "infra/mosquitto/acl") } });
  });

  afterAll(async () => {
    await broker?.stop();
  });

  it("lets a tenant publish only below its own tenant, and refuses anonymous clients", async () => {
    const reader = await mqtt.connectAsync(broker.url, { username: "stadtfluss-bridge", password: secrets.bridge });
    const received: string[] = [];
    reader.on("message", (topic) => received.push(topic));
    await reader.subscribeAsync("stadtfluss/#", { qos: 1 });

    const muster = await mqtt.connectAsync(broker.url, { username: "musterstadt", password: secrets.musterstadt });
    const nachbar = await mqtt.connectAsync(broker.url, { username: "nachbarstadt", password: secrets.nachbarstadt });
    await muster.publishAsync("stadtfluss/musterstadt/sensor-1/up", "own", { qos: 1 });
    // Mosquitto acknowledges a refused QoS 1 publish and drops it (MQTT 3.1.1 has no way to say no).
    await muster.publishAsync("stadtfluss/nachbarstadt/sensor-2/up", "forged", { qos: 1 });
    await nachbar.publishAsync("stadtfluss/nachbarstadt/sensor-2/up", "theirs", { qos: 1 });
    const deadline = Date.now() + 5_000;
    while (received.length < 2 && Date.now() < deadline) await sleep(50);
    await sleep(500);
    expect(received).toEqual(["stadtfluss/musterstadt/sensor-1/up", "stadtfluss/nachbarstadt/sensor-2/up"]);

    await expect(mqtt.connectAsync(broker.url, { reconnectPeriod: 0 })).rejects.toThrow(/Not authorized/i);
    await Promise.all([reader.endAsync(), muster.endAsync(), nachbar.endAsync()]);
  });

  it("the bridge logs in with a password from a file and never prints it, even when refused", async () => {
    const bridgeEnv = (password: string) => {
      const file = join(dir, uniqueName("pw"));
      writeFileSync(file, `${password}\n`);
      return {
        KAFKA_BROKERS: servers.kafkaBrokers.join(","),
        KAFKA_TOPIC_PREFIX: `${uniqueName("sec")}.`,
        LOG_LEVEL: "debug",
        MQTT_SOURCES: JSON.stringify([
          {
            id: "city",
            url: broker.url,
            clientId: uniqueName("bridge"),
            username: "stadtfluss-bridge",
            passwordFile: file,
            subscriptions: [{ topic: "stadtfluss/{tenant}/{device}/up", format: "stadtfluss-json" }],
          },
        ]),
      };
    };
    const good = await startWorker("mqtt-bridge", bridgeEnv(secrets.bridge));
    expect(good.output.join("\n")).toContain('"msg":"mqtt subscribed"');
    await good.stop();

    const refused = await startWorker("mqtt-bridge", bridgeEnv("wrong-pw-9f2b"), { waitForStart: false });
    await refused.waitForLine(/"msg":"mqtt error"/);
    await refused.stop();
    const output = refused.output.join("\n");
    expect(output).toMatch(/Not authorized/i);
    expect(output).not.toContain("wrong-pw-9f2b");
    expect(good.output.join("\n")).not.toContain(secrets.bridge);
  });

  it("the bridge connects over mqtts:// and checks the broker against the given CA", async () => {
    const [key, cert] = [join(dir, "server.key"), join(dir, "server.crt")];
    execFileSync(
      "openssl",
      [
        ...["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost"],
        ...["-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", "-keyout", key, "-out", cert],
      ],
      { stdio: "ignore" },
    );
    const tlsPort = await freePort();
    const tlsBroker = await startMosquitto({
      extra: [`listener ${tlsPort} 127.0.0.1`, `certfile ${cert}`, `keyfile ${key}`],
    });
    try {
      const bridge = await startWorker("mqtt-bridge", {
        KAFKA_BROKERS: servers.kafkaBrokers.join(","),
        KAFKA_TOPIC_PREFIX: `${uniqueName("tls")}.`,
        MQTT_SOURCES: JSON.stringify([
          {
            id: "city",
            url: `mqtts://localhost:${tlsPort}`,
            caFile: cert,
            clientId: uniqueName("bridge"),
            tenant: "musterstadt",
            subscriptions: [{ topic: "sensors/{device}", format: "stadtfluss-json" }],
          },
        ]),
      });
      expect(bridge.output.join("\n")).toContain('"msg":"mqtt subscribed"');
      await bridge.stop();
    } finally {
      await tlsBroker.stop();
    }
  });
});

describe("secrets and oversized payloads in the pipeline", () => {
  it("never prints the InfluxDB token or the Kafka SASL password, not even at debug level", async () => {
    const writer = await startWorker(
      "influx-writer",
      {
        // Nothing listens here: kafkajs logs its connection errors with their context.
        KAFKA_BROKERS: `127.0.0.1:${await freePort()}`,
        KAFKA_SASL_MECHANISM: "plain",
        KAFKA_SASL_USERNAME: "stadtfluss",
        KAFKA_SASL_PASSWORD: "sasl-pw-51e0",
        INFLUX_URL: servers.influxUrl,
        INFLUX_TOKEN: "influx-token-a8d7",
        INFLUX_BUCKET: "nowhere",
        LOG_LEVEL: "debug",
      },
      { waitForStart: false },
    );
    await writer.waitForLine(/ECONNREFUSED|Connection error/);
    await writer.stop();
    const output = writer.output.join("\n");
    expect(output).not.toContain("sasl-pw-51e0");
    expect(output).not.toContain("influx-token-a8d7");
  });

  it("the bridge quotes a 60,000-character MQTT topic in its log lines only in part", async () => {
    const prefix = uniqueName("long-topic");
    const bridge = await startWorker("mqtt-bridge", {
      KAFKA_BROKERS: servers.kafkaBrokers.join(","),
      KAFKA_TOPIC_PREFIX: `${prefix}.`,
      BRIDGE_MAX_PAYLOAD_BYTES: "16",
      MQTT_SOURCES: JSON.stringify([
        {
          id: "city",
          url: servers.mqttUrl,
          clientId: `${prefix}-bridge`,
          subscriptions: [{ topic: `${prefix}/{tenant}/{device}/up`, format: "stadtfluss-json" }],
        },
      ]),
    });
    try {
      const device = "d".repeat(60_000);
      const client = await mqtt.connectAsync(servers.mqttUrl);
      await client.publishAsync(`${prefix}/musterstadt/${device}/up`, "x".repeat(100), { qos: 1 });
      await client.endAsync();
      const line = await bridge.waitForLine(/"msg":"oversized payload refused"/);
      expect(line).toContain("…[cut, ");
      expect(line.length).toBeLessThan(2_000);
    } finally {
      await bridge.stop();
    }
  });

  it("refuses an oversized payload before parsing, counts it and dead-letters it; the next message still arrives", async () => {
    const pipeline = await startPipeline(servers, { bridge: { BRIDGE_MAX_PAYLOAD_BYTES: "1024" } });
    try {
      const port = new URL(servers.mqttUrl).port;
      const topic = `${pipeline.mqttPrefix}/${pipeline.tenant}/big-0001/up`;
      const publish = (message: string) =>
        execFileSync("mosquitto_pub", ["-h", "127.0.0.1", "-p", port, "-q", "1", "-t", topic, "-m", message]);
      publish(
        JSON.stringify({
          time: Date.now(),
          readings: [{ kind: "air.pm10", value: 1, unit: "ug/m3" }],
          pad: "x".repeat(2_000),
        }),
      );
      publish(JSON.stringify({ seq: 1, time: Date.now(), readings: [{ kind: "air.pm10", value: 2, unit: "ug/m3" }] }));

      const [letter] = await readMessages(servers.kafkaBrokers, topicsFor(pipeline.topicPrefix).deadLetter, 1);
      expect(headerString(letter?.headers, deadLetterHeaders.stage)).toBe("admit");
      expect(headerString(letter?.headers, deadLetterHeaders.message)).toMatch(/exceeds the limit of 1024 bytes/);
      expect(headerString(letter?.headers, "stadtfluss.mqtt.topic")).toBe(topic);
      expect(await pipeline.waitForCount(`SELECT count(pm10) AS n FROM "air" WHERE device = 'big-0001'`, 1)).toBe(1);
      const metrics = await (await fetch(`${pipeline.workers.bridge.opsUrl}/metrics`)).text();
      expect(metrics).toMatch(/stadtfluss_dead_letters_total\{[^}]*stage="admit"[^}]*\} 1/);
    } finally {
      await pipeline.stop();
    }
  });
});
