import { env, parseEnv, type Secret } from "@stadtfluss/config";
import { opsEnv } from "@stadtfluss/telemetry";
import { z } from "zod";

const simulatorEnv = z.object({
  ...opsEnv.shape,
  MQTT_URL: env.url(["mqtt", "mqtts", "ws", "wss"]),
  MQTT_USERNAME: env.text().optional(),
  MQTT_PASSWORD: env.secret().optional(),
  SIM_TENANT: z
    .string()
    .regex(/^[a-z0-9][a-z0-9._-]*$/, "must be lower-case letters, digits and . _ - only")
    .default("musterstadt"),
  SIM_TOPIC_PREFIX: env.text().default("stadtfluss"),
  SIM_TRAFFIC_COUNTERS: env.integer(0, 100_000).default(20),
  SIM_HOUSEHOLD_METERS: env.integer(0, 1_000_000).default(50),
  /** Messages per second over all devices. */
  SIM_RATE: env.integer(1, 1_000_000).default(20),
  /** Stop after this many messages (all acknowledged); unset runs until stopped. */
  SIM_COUNT: env.integer(1, Number.MAX_SAFE_INTEGER).optional(),
  SIM_SEED: env.integer(0, 2 ** 31 - 1).optional(),
  /** Publishes not yet acknowledged by the broker before the simulator waits. */
  SIM_MAX_IN_FLIGHT: env.integer(1, 65_535).default(1_000),
});

export interface SimulatorConfig {
  readonly mqtt: { readonly url: string; readonly username?: string; readonly password?: Secret };
  readonly tenant: string;
  readonly topicPrefix: string;
  readonly trafficCounters: number;
  readonly householdMeters: number;
  readonly rate: number;
  readonly count?: number;
  readonly seed: number;
  readonly maxInFlight: number;
  readonly ops: { readonly host: string; readonly port: number };
  readonly logLevel: string;
  readonly shutdownDeadlineMs: number;
}

export function loadConfig(environment: Readonly<Record<string, string | undefined>>): SimulatorConfig {
  const parsed = parseEnv(
    simulatorEnv.refine((e) => e.SIM_TRAFFIC_COUNTERS + e.SIM_HOUSEHOLD_METERS > 0, {
      path: ["SIM_TRAFFIC_COUNTERS"],
      error: "no devices: SIM_TRAFFIC_COUNTERS and SIM_HOUSEHOLD_METERS are both 0",
    }),
    environment,
    { secretFiles: ["MQTT_PASSWORD"] },
  );
  return {
    mqtt: {
      url: parsed.MQTT_URL,
      ...(parsed.MQTT_USERNAME ? { username: parsed.MQTT_USERNAME } : {}),
      ...(parsed.MQTT_PASSWORD ? { password: parsed.MQTT_PASSWORD } : {}),
    },
    tenant: parsed.SIM_TENANT,
    topicPrefix: parsed.SIM_TOPIC_PREFIX,
    trafficCounters: parsed.SIM_TRAFFIC_COUNTERS,
    householdMeters: parsed.SIM_HOUSEHOLD_METERS,
    rate: parsed.SIM_RATE,
    ...(parsed.SIM_COUNT === undefined ? {} : { count: parsed.SIM_COUNT }),
    seed: parsed.SIM_SEED ?? Math.floor(Math.random() * 2 ** 31),
    maxInFlight: parsed.SIM_MAX_IN_FLIGHT,
    ops: { host: parsed.OPS_HOST, port: parsed.OPS_PORT },
    logLevel: parsed.LOG_LEVEL,
    shutdownDeadlineMs: parsed.SHUTDOWN_DEADLINE_MS,
  };
}
