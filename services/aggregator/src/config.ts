import { env } from "@stadtfluss/config";
import { type InfluxWriteSettings, influxEnv } from "@stadtfluss/influx";
import { type KafkaSettings, kafkaEnv, kafkaEnvChecks, kafkaSettingsFrom } from "@stadtfluss/kafka";
import { loadServiceConfig, opsEnv, processNice, type ServiceSettings } from "@stadtfluss/telemetry";
import cron from "node-cron";
import { z } from "zod";
import type { RunSettings } from "./aggregation-run.ts";
import { DEFAULT_DISCLOSURE_RULES, type DisclosureRules } from "./privacy/disclosure.ts";

/** When a resolution's run starts (node-cron, optionally with seconds), in the city's zone. */
export interface Schedules {
  readonly hourly: string;
  readonly daily: string;
  /** The local stack's short windows: length and schedule; absent in production. */
  readonly short?: { readonly lengthMs: number; readonly schedule: string };
}

export interface AggregatorConfig extends ServiceSettings {
  readonly kafka: KafkaSettings;
  readonly influx: InfluxWriteSettings;
  readonly timeoutMs: number;
  /** AGGREGATOR_DECLARATION: the tenants whose data is aggregated. */
  readonly declaration: { readonly path: string; readonly reloadMs: number };
  readonly groupId: string;
  readonly leaseTopic: string;
  readonly topic?: string;
  readonly handoverMs: number;
  readonly timeZone: string;
  readonly schedules: Schedules;
  readonly run: RunSettings;
  readonly privacy: DisclosureRules;
}

const cronExpression = () =>
  env.text().refine((expression) => cron.validate(expression), {
    error: "must be a cron expression such as `5 * * * *` (minute hour day month weekday, optionally seconds first)",
  });

const aggregatorEnv = z
  .object({
    ...kafkaEnv.shape,
    INFLUX_URL: influxEnv.shape.INFLUX_URL,
    INFLUX_TOKEN: influxEnv.shape.INFLUX_TOKEN,
    INFLUX_ORG: influxEnv.shape.INFLUX_ORG,
    INFLUX_GZIP: influxEnv.shape.INFLUX_GZIP,
    INFLUX_TIMEOUT_MS: env.integer(100, 120_000).default(10_000),
    ...opsEnv.shape,
    PROCESS_NICE: processNice(10),
    KAFKA_GROUP_ID: env.text().default("stadtfluss-aggregator"),
    /** The one-partition topic whose partition 0 makes its owner the one aggregator that runs. */
    AGGREGATOR_LEASE_TOPIC: env.text().optional(),
    /** Also send every aggregate to this topic, for streaming consumers; unset: InfluxDB only. */
    AGGREGATOR_TOPIC: env.text().optional(),
    /** A new lease holder waits this long: longer than a step the previous one may still finish. */
    AGGREGATOR_HANDOVER_MS: env.integer(0, 600_000).optional(),
    AGGREGATOR_DECLARATION: env.text(),
    AGGREGATOR_DECLARATION_RELOAD_MS: env.integer(100, 3_600_000).default(5_000),
    AGGREGATOR_TIME_ZONE: env.timeZone().default("Europe/Berlin"),
    AGGREGATOR_HOURLY_SCHEDULE: cronExpression().default("5 * * * *"),
    AGGREGATOR_DAILY_SCHEDULE: cronExpression().default("15 * * * *"),
    AGGREGATOR_SHORT_WINDOW: env.duration().optional(),
    AGGREGATOR_SHORT_SCHEDULE: cronExpression().default("*/10 * * * * *"),
    AGGREGATOR_LATENESS: env.duration().default(3 * 3_600_000),
    AGGREGATOR_CATCH_UP: env.duration().default(7 * 86_400_000),
    AGGREGATOR_PERCENTILE: env.integer(50, 99).default(95),
    AGGREGATOR_WINDOWS_PER_STEP: env.integer(1, 10_000).default(24),
    /** Household figures: at least this many households in a published cell. */
    AGGREGATOR_PRIVACY_MIN_HOUSEHOLDS: env.integer(2, 1_000).default(DEFAULT_DISCLOSURE_RULES.minHouseholds),
    /** The (n, p) dominance rule: the n largest households ... */
    AGGREGATOR_PRIVACY_DOMINANCE_COUNT: env.integer(1, 10).default(DEFAULT_DISCLOSURE_RULES.dominanceCount),
    /** ... make up at most p percent of a published cell. */
    AGGREGATOR_PRIVACY_DOMINANCE_PERCENT: env.integer(1, 99).default(DEFAULT_DISCLOSURE_RULES.dominancePercent),
  })
  .check(
    z.superRefine<Record<string, unknown>>(
      (values, ctx) => {
        const short = values.AGGREGATOR_SHORT_WINDOW;
        if (typeof short === "number" && (short < 1_000 || short > 3_600_000 || short % 1_000 !== 0)) {
          ctx.addIssue({
            code: "custom",
            path: ["AGGREGATOR_SHORT_WINDOW"],
            message: "must be whole seconds from 1s to 1h",
          });
        }
        const handover = values.AGGREGATOR_HANDOVER_MS;
        const timeout = values.INFLUX_TIMEOUT_MS;
        if (typeof handover === "number" && typeof timeout === "number" && handover <= timeout) {
          ctx.addIssue({
            code: "custom",
            path: ["AGGREGATOR_HANDOVER_MS"],
            message: `must exceed INFLUX_TIMEOUT_MS (${timeout}): the previous holder may still finish one write`,
          });
        }
      },
      { when: (payload) => typeof payload.value === "object" && payload.value !== null },
    ),
    ...kafkaEnvChecks,
  );

export function loadConfig(environment: Readonly<Record<string, string | undefined>>): AggregatorConfig {
  return loadServiceConfig(aggregatorEnv, environment, (parsed) => {
    const kafka = kafkaSettingsFrom(parsed, { clientId: "stadtfluss-aggregator" });
    return {
      kafka,
      influx: {
        url: parsed.INFLUX_URL,
        ...(parsed.INFLUX_TOKEN ? { token: parsed.INFLUX_TOKEN } : {}),
        org: parsed.INFLUX_ORG,
        gzip: parsed.INFLUX_GZIP,
      },
      timeoutMs: parsed.INFLUX_TIMEOUT_MS,
      declaration: { path: parsed.AGGREGATOR_DECLARATION, reloadMs: parsed.AGGREGATOR_DECLARATION_RELOAD_MS },
      groupId: parsed.KAFKA_GROUP_ID,
      leaseTopic: parsed.AGGREGATOR_LEASE_TOPIC ?? `${kafka.topicPrefix}aggregator-lease.v1`,
      ...(parsed.AGGREGATOR_TOPIC === undefined ? {} : { topic: parsed.AGGREGATOR_TOPIC }),
      handoverMs: parsed.AGGREGATOR_HANDOVER_MS ?? parsed.INFLUX_TIMEOUT_MS + 1_000,
      timeZone: parsed.AGGREGATOR_TIME_ZONE,
      schedules: {
        hourly: parsed.AGGREGATOR_HOURLY_SCHEDULE,
        daily: parsed.AGGREGATOR_DAILY_SCHEDULE,
        ...(parsed.AGGREGATOR_SHORT_WINDOW === undefined
          ? {}
          : { short: { lengthMs: parsed.AGGREGATOR_SHORT_WINDOW, schedule: parsed.AGGREGATOR_SHORT_SCHEDULE } }),
      },
      run: {
        latenessMs: parsed.AGGREGATOR_LATENESS,
        catchUpMs: parsed.AGGREGATOR_CATCH_UP,
        percentile: parsed.AGGREGATOR_PERCENTILE,
        windowsPerStep: parsed.AGGREGATOR_WINDOWS_PER_STEP,
      },
      privacy: {
        minHouseholds: parsed.AGGREGATOR_PRIVACY_MIN_HOUSEHOLDS,
        dominanceCount: parsed.AGGREGATOR_PRIVACY_DOMINANCE_COUNT,
        dominancePercent: parsed.AGGREGATOR_PRIVACY_DOMINANCE_PERCENT,
      },
    };
  });
}
