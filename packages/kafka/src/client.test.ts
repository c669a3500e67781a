import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseEnv } from "@stadtfluss/config";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { kafkaConfig, kafkaEnv, kafkaEnvChecks, kafkaSettingsFrom } from "./client.ts";

const logger = pino({ level: "silent" });
const caFile = join(mkdtempSync(join(tmpdir(), "sf-kafka-")), "kafka-ca.pem");
writeFileSync(caFile, "-----BEGIN CERTIFICATE-----\n");
const settingsOf = (env: Record<string, string>) =>
  kafkaSettingsFrom(parseEnv(kafkaEnv.check(...kafkaEnvChecks), env, { secretFiles: ["KAFKA_SASL_PASSWORD"] }), {
    clientId: "test",
  });

describe("Kafka connection settings", () => {
  it("pass TLS with a CA bundle and SASL/SCRAM through to kafkajs", () => {
    const config = kafkaConfig(
      settingsOf({
        KAFKA_BROKERS: "kafka-1.stadt.example:9093,kafka-2.stadt.example:9093",
        KAFKA_SSL: "true",
        KAFKA_SSL_CA_FILE: caFile,
        KAFKA_SASL_MECHANISM: "scram-sha-512",
        KAFKA_SASL_USERNAME: "stadtfluss",
        KAFKA_SASL_PASSWORD: "s3cret",
      }),
      logger,
    );
    expect(config.brokers).toEqual(["kafka-1.stadt.example:9093", "kafka-2.stadt.example:9093"]);
    expect(config.ssl).toEqual({ ca: ["-----BEGIN CERTIFICATE-----\n"] });
    expect(config.sasl).toEqual({ mechanism: "scram-sha-512", username: "stadtfluss", password: "s3cret" });
  });

  it("connect in plain text without SASL by default", () => {
    const config = kafkaConfig(settingsOf({ KAFKA_BROKERS: "localhost:9092" }), logger);
    expect(config.ssl).toBe(false);
    expect(config.sasl).toBeUndefined();
  });

  it("keep the SASL password out of the settings' printed form", () => {
    const settings = settingsOf({
      KAFKA_BROKERS: "k:9092",
      KAFKA_SASL_MECHANISM: "plain",
      KAFKA_SASL_USERNAME: "u",
      KAFKA_SASL_PASSWORD: "pw-0912",
    });
    expect(JSON.stringify(settings)).not.toContain("pw-0912");
  });

  it("keep every produce request below Kafka's default message.max.bytes unless told otherwise", () => {
    expect(settingsOf({ KAFKA_BROKERS: "k:9092" }).maxRequestBytes).toBe(1_000_000);
    expect(settingsOf({ KAFKA_BROKERS: "k:9092", KAFKA_MAX_REQUEST_BYTES: "65536" }).maxRequestBytes).toBe(65_536);
  });

  it("refuse a request size too small for a dead letter or beyond Kafka's request limit, naming the setting", () => {
    for (const bad of ["1000", "200000000", "1MB"]) {
      expect(() => settingsOf({ KAFKA_BROKERS: "k:9092", KAFKA_MAX_REQUEST_BYTES: bad })).toThrow(
        /KAFKA_MAX_REQUEST_BYTES: /,
      );
    }
  });

  it("fetch whatever is there unless told to wait for more, and refuse a minimum that is no byte count", () => {
    expect(settingsOf({ KAFKA_BROKERS: "k:9092" }).fetchMinBytes).toBe(1);
    expect(settingsOf({ KAFKA_BROKERS: "k:9092", KAFKA_FETCH_MIN_BYTES: "65536" }).fetchMinBytes).toBe(65_536);
    for (const bad of ["0", "2000000", "64KB"]) {
      expect(() => settingsOf({ KAFKA_BROKERS: "k:9092", KAFKA_FETCH_MIN_BYTES: bad })).toThrow(
        /KAFKA_FETCH_MIN_BYTES: /,
      );
    }
  });
});
