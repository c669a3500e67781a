import { getPriority } from "node:os";
import { startWorker, uniqueName } from "@stadtfluss/testing";
import { describe, expect, inject, it } from "vitest";

describe("start-up with bad settings", () => {
  it.each([
    ["mqtt-bridge", { KAFKA_BROKERS: "127.0.0.1:9" }, ["MQTT_SOURCES: is required but not set"]],
    [
      "normalizer",
      { KAFKA_BROKERS: "127.0.0.1:9", KAFKA_FETCH_MAX_WAIT_MS: "soon", KAFKA_FETCH_MIN_BYTES: "0" },
      ["KAFKA_FETCH_MAX_WAIT_MS: must be a whole number", "KAFKA_FETCH_MIN_BYTES: "],
    ],
    [
      "influx-writer",
      { KAFKA_BROKERS: "127.0.0.1:9", INFLUX_URL: "localhost:8086", INFLUX_BATCH_SIZE: "many" },
      ["INFLUX_URL: must be a URL with scheme http, https", "INFLUX_BATCH_SIZE: must be a whole number"],
    ],
    [
      "influx-writer",
      { KAFKA_BROKERS: "127.0.0.1:9", INFLUX_URL: "http://127.0.0.1:9" },
      ["INFLUX_BUCKET: is required but not set (or WRITER_DECLARATION;"],
    ],
    ["simulator", { MQTT_URL: "mqtt://127.0.0.1:9", SIM_RATE: "0" }, ["SIM_RATE:"]],
    [
      "mqtt-bridge",
      {
        KAFKA_BROKERS: "127.0.0.1:9",
        KAFKA_SASL_MECHANISM: "plain",
        MQTT_SOURCES: JSON.stringify([
          {
            id: "city",
            url: "mqtts://127.0.0.1:9",
            username: "bridge",
            passwordFile: "/nonexistent/mqtt-pw",
            caFile: "/nonexistent/mqtt-ca.pem",
            tenant: "musterstadt",
            subscriptions: [{ topic: "sensors/{device}", format: "stadtfluss-json" }],
          },
        ]),
      },
      [
        "MQTT_SOURCES[0].passwordFile: cannot read /nonexistent/mqtt-pw (ENOENT)",
        "MQTT_SOURCES[0].caFile: cannot read /nonexistent/mqtt-ca.pem (ENOENT)",
        "KAFKA_SASL_USERNAME: is required with KAFKA_SASL_MECHANISM",
        "KAFKA_SASL_PASSWORD: is required with KAFKA_SASL_MECHANISM",
      ],
    ],
    [
      "normalizer",
      { KAFKA_BROKERS: "127.0.0.1:9", KAFKA_SSL_CA_FILE: "/nonexistent/kafka-ca.pem", OPS_PORT: "x" },
      ["KAFKA_SSL_CA_FILE: cannot read /nonexistent/kafka-ca.pem (ENOENT)", "OPS_PORT: must be a whole number"],
    ],
  ])("%s stops with exit code 78 and names each bad setting", async (service, env, expected) => {
    const worker = await startWorker(service, env, { waitForStart: false });
    const { code } = await worker.exited;
    expect(code).toBe(78);
    const output = worker.output.join("\n");
    for (const text of expected) expect(output).toContain(text);
  });

  it("refuses credentials inside a URL and never prints them", async () => {
    const worker = await startWorker(
      "influx-writer",
      { KAFKA_BROKERS: "127.0.0.1:9", INFLUX_URL: "http://admin:url-pw-5e1b@127.0.0.1:9", INFLUX_BUCKET: "b" },
      { waitForStart: false },
    );
    expect((await worker.exited).code).toBe(78);
    const output = worker.output.join("\n");
    expect(output).toContain("INFLUX_URL: must not hold credentials");
    expect(output).not.toContain("url-pw-5e1b");
  });

  it("never prints a secret given in a bad configuration", async () => {
    const worker = await startWorker(
      "influx-writer",
      {
        KAFKA_BROKERS: "127.0.0.1:9",
        INFLUX_URL: "http://x",
        INFLUX_TOKEN: "tok-123-secret",
        INFLUX_BUCKET: "b",
        OPS_PORT: "x",
      },
      { waitForStart: false },
    );
    expect((await worker.exited).code).toBe(78);
    expect(worker.output.join("\n")).not.toContain("tok-123-secret");
  });
});

describe("start-up priority", () => {
  const servers = inject("servers");

  it("the normalizer lowers its own priority below the bridge's (nice 10)", async () => {
    const worker = await startWorker("normalizer", {
      KAFKA_BROKERS: servers.kafkaBrokers.join(","),
      KAFKA_TOPIC_PREFIX: `${uniqueName("nice")}.`,
    });
    try {
      expect(getPriority(worker.process.pid)).toBe(10);
    } finally {
      await worker.stop();
    }
  });
});
