import { env, type Secret } from "@stadtfluss/config";
import { ConfigError } from "@stadtfluss/errors";
import { Kafka, type KafkaConfig, logLevel, type SASLOptions } from "kafkajs";
import type { Logger } from "pino";
import { z } from "zod";
import { SMALLEST_REQUEST_BYTES } from "./dead-letter.ts";

/**
 * Plain connection settings, the same for Apache Kafka, Redpanda, a managed
 * cluster or the local Kafka-protocol broker.
 */
export const kafkaEnv = z.object({
  KAFKA_BROKERS: env.list(),
  KAFKA_CLIENT_ID: env.text().optional(),
  KAFKA_TOPIC_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9._-]*$/, "may hold letters, digits, . _ - only")
    .default("stadtfluss."),
  KAFKA_SSL: env.flag().default(false),
  /** Read while the settings are checked; the value is the CA bundle itself. */
  KAFKA_SSL_CA_FILE: env.fileContent().optional(),
  KAFKA_SASL_MECHANISM: z.enum(["plain", "scram-sha-256", "scram-sha-512"]).optional(),
  KAFKA_SASL_USERNAME: env.text().optional(),
  KAFKA_SASL_PASSWORD: env.secret().optional(),
  /**
   * How long the broker holds a fetch that finds no data. Kafka answers as soon as
   * data arrives, so this spaces an idle consumer's polls without adding latency;
   * 500 is Kafka's own consumer default.
   */
  KAFKA_FETCH_MAX_WAIT_MS: env.integer(10, 30_000).default(500),
  /**
   * A fetch is answered once this much is there or KAFKA_FETCH_MAX_WAIT_MS passed:
   * fewer, larger batches, paid for in latency. For the influx-writer that means
   * fewer, larger InfluxDB requests (docs/settings.md); 1, kafkajs's own, keeps
   * every stage's latency lowest.
   */
  KAFKA_FETCH_MIN_BYTES: env.integer(1, 1_048_576).default(1),
  /** Short, so that leadership moves after a broker outage are seen within seconds. */
  KAFKA_METADATA_MAX_AGE_MS: env.integer(1_000, 600_000).default(10_000),
  /** How soon the group notices a consumer that died without leaving (SIGKILL, power loss). */
  KAFKA_SESSION_TIMEOUT_MS: env.integer(6_000, 300_000).default(10_000),
  /**
   * No produce request carries more, so that no partition's record batch exceeds
   * the brokers' message.max.bytes (Kafka's default: 1,048,588). Lower it where a
   * topic's max.message.bytes is smaller; raise it only with the brokers' limit.
   */
  KAFKA_MAX_REQUEST_BYTES: env.integer(SMALLEST_REQUEST_BYTES, 104_857_600).default(1_000_000),
});

/**
 * Checks across kafkaEnv's settings, for the schema that spreads its shape
 * (`z.object({ ...kafkaEnv.shape, ... }).check(...kafkaEnvChecks)`): SASL given
 * in part would otherwise connect without it.
 */
export const kafkaEnvChecks = [
  env.allOrNone(["KAFKA_SASL_MECHANISM", "KAFKA_SASL_USERNAME", "KAFKA_SASL_PASSWORD"], "SASL"),
] as const;

export type KafkaEnv = z.output<typeof kafkaEnv>;

export interface KafkaSettings {
  readonly brokers: readonly string[];
  readonly clientId: string;
  readonly topicPrefix: string;
  readonly ssl: boolean | { readonly ca: string };
  readonly sasl?: {
    readonly mechanism: "plain" | "scram-sha-256" | "scram-sha-512";
    readonly username: string;
    readonly password: Secret;
  };
  readonly fetchMaxWaitMs: number;
  readonly fetchMinBytes: number;
  readonly metadataMaxAgeMs: number;
  readonly sessionTimeoutMs: number;
  readonly maxRequestBytes: number;
}

/** Settings from the environment, parsed with kafkaEnvChecks. */
export function kafkaSettingsFrom(parsed: KafkaEnv, defaults: { clientId: string }): KafkaSettings {
  const { KAFKA_SASL_MECHANISM: mechanism, KAFKA_SASL_USERNAME: username, KAFKA_SASL_PASSWORD: password } = parsed;
  // Never connect without SASL that was asked for, should a schema lack kafkaEnvChecks.
  if ((mechanism || username || password) && !(mechanism && username && password))
    throw new ConfigError(["KAFKA_SASL_*: SASL takes a mechanism, a user name and a password, or none of them"]);
  return {
    brokers: parsed.KAFKA_BROKERS,
    clientId: parsed.KAFKA_CLIENT_ID ?? defaults.clientId,
    topicPrefix: parsed.KAFKA_TOPIC_PREFIX,
    ssl: parsed.KAFKA_SSL_CA_FILE ? { ca: parsed.KAFKA_SSL_CA_FILE } : parsed.KAFKA_SSL,
    ...(mechanism && username && password ? { sasl: { mechanism, username, password } } : {}),
    fetchMaxWaitMs: parsed.KAFKA_FETCH_MAX_WAIT_MS,
    fetchMinBytes: parsed.KAFKA_FETCH_MIN_BYTES,
    metadataMaxAgeMs: parsed.KAFKA_METADATA_MAX_AGE_MS,
    sessionTimeoutMs: parsed.KAFKA_SESSION_TIMEOUT_MS,
    maxRequestBytes: parsed.KAFKA_MAX_REQUEST_BYTES,
  };
}

/** A kafkajs client that logs through pino instead of its own console logger. */
export function createKafka(settings: KafkaSettings, logger: Logger): Kafka {
  return new Kafka(kafkaConfig(settings, logger));
}

/** The kafkajs configuration: TLS and SASL settings pass through unchanged. */
export function kafkaConfig(settings: KafkaSettings, logger: Logger): KafkaConfig {
  const config: KafkaConfig = {
    clientId: settings.clientId,
    brokers: [...settings.brokers],
    ssl: typeof settings.ssl === "boolean" ? settings.ssl : { ca: [settings.ssl.ca] },
    logLevel: logLevel.WARN,
    logCreator: () => (entry) => {
      const { message, ...fields } = entry.log;
      const level = entry.level === logLevel.ERROR ? "error" : entry.level === logLevel.WARN ? "warn" : "debug";
      logger[level]({ kafkajs: entry.namespace, ...fields }, message);
    },
  };
  if (settings.sasl) config.sasl = saslOptions(settings.sasl);
  return config;
}

function saslOptions(sasl: NonNullable<KafkaSettings["sasl"]>): SASLOptions {
  const credentials = { username: sasl.username, password: sasl.password.reveal() };
  switch (sasl.mechanism) {
    case "plain":
      return { mechanism: "plain", ...credentials };
    case "scram-sha-256":
      return { mechanism: "scram-sha-256", ...credentials };
    case "scram-sha-512":
      return { mechanism: "scram-sha-512", ...credentials };
  }
}
