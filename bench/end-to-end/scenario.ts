import { join } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { createDatabase, dropDatabase, influxQL, quoteString } from "@stadtfluss/influx";
import {
  type InfluxServer,
  type KafkaBroker,
  loadDeviceName,
  type MosquittoServer,
  metricSum,
  startKafkaBroker,
  startMosquitto,
  startProcess,
  uniqueName,
} from "@stadtfluss/testing";
import mqtt from "mqtt";
import { LatencyProbe, percentile } from "./latency-probe.ts";
import type { LoadLine, LoadPlan, PhaseResult } from "./load-process.ts";
import { installNodeRed, startNodeRed } from "./node-red.ts";
import { type PayloadName, registryFile } from "./payloads.ts";
import { type ProcessUsage, UsageSampler } from "./process-usage.ts";
import { type Responsiveness, ResponsivenessProbe } from "./responsiveness-probe.ts";
import { startStadtfluss } from "./stadtfluss.ts";

/** `stadtfluss-baseline`: the workers of another checkout (`--baseline-root`), for before/after. */
export type Candidate = "stadtfluss" | "stadtfluss-baseline" | "node-red";
/** `default`: Mosquitto's own queue limits; `raised`: those of infra/mosquitto/mosquitto.conf. */
export type QueueSetting = "default" | "raised";

export interface ScenarioOptions {
  readonly candidate: Candidate;
  readonly setting: QueueSetting;
  readonly influx: InfluxServer;
  readonly phases: ReadonlyArray<{ readonly rate: number; readonly seconds: number }>;
  readonly devices: number;
  readonly connections: number;
  /** Longest wait for the last points after publishing ended. */
  readonly drainSeconds: number;
  readonly cpuProfileDir?: string;
  readonly baselineRoot?: string;
  readonly baselineBridgeProtocol?: 4 | 5;
  readonly stadtflussEnv?: Parameters<typeof startStadtfluss>[0]["extraEnv"];
  readonly baselineEnv?: Parameters<typeof startStadtfluss>[0]["extraEnv"];
  /** MQTT version of the bridge's source (5: its own receive window). */
  readonly bridgeProtocol: 4 | 5;
  /** What the devices send; stadtfluss-json unless set. */
  readonly payload?: PayloadName;
  /**
   * Whose devices the warm-up publishes on: another tenant's (the default), so that
   * the step's devices are new to every stage, or the step's own, so that the step
   * measures devices already known (their series, their bookkeeping) and leaves out
   * what a rollout costs.
   */
  readonly warmup?: WarmupDevices;
  /**
   * The test broker's brokers and each topic's partitions: 3 and 3 unless set (run.ts
   * sets compose's 1 and 6). A fetch answers for the partitions its broker leads, so
   * the layout decides how many batches, and requests, every stage handles a second.
   */
  readonly kafka?: { readonly brokers: number; readonly partitions: number };
  readonly log: (line: string) => void;
}

export interface TimelinePoint {
  /** Seconds since publishing started. */
  readonly t: number;
  readonly published: number;
  /** Estimated messages published but not yet queryable (from the sampled devices). */
  readonly behindMessages: number;
  /** Age of the newest queryable point of the sampled devices, in seconds. */
  readonly behindSeconds: number;
  /** Kafka consumer lag reported by the normalizer plus the writer (Stadtfluss only). */
  readonly kafkaLag?: number;
  /** Stadtfluss only: messages the bridge holds unacknowledged, and each stage's output so far. */
  readonly stages?: {
    bridgeInFlight: number;
    bridgeOut: number;
    normalizerOut: number;
    writerOut: number;
    /**
     * Kafka sends of the bridge and of the normalizer, InfluxDB writes of the writer,
     * and the seconds they took (the bridge's from its first attempt until Kafka acknowledged).
     */
    bridgeSends?: number;
    bridgeSendSeconds?: number;
    normalizerSends: number;
    normalizerSendSeconds: number;
    writerWrites: number;
    writerWriteSeconds: number;
  };
}

export interface ScenarioResult {
  readonly candidate: Candidate;
  readonly setting: QueueSetting;
  readonly phases: readonly PhaseResult[];
  readonly offeredRate: number;
  /** What the load generator really achieved over the whole publishing time. */
  readonly achievedRate: number;
  readonly sent: number;
  readonly delivered: number;
  readonly lost: number;
  readonly devicesWithLoss: number;
  readonly mosquittoDropped: number;
  /** The drop counter as the bridge exports it (Stadtfluss only). */
  readonly bridgeDroppedMetric?: number;
  /** From the end of publishing until every point was queryable (or the bound). */
  readonly drainSeconds: number;
  readonly drained: boolean;
  readonly latencyMs: {
    readonly p50: number | undefined;
    readonly p99: number | undefined;
    readonly max: number | undefined;
    readonly samples: number;
    /**
     * p99 of the messages published from SETTLE_SECONDS after the step began: the
     * pipeline starts afresh for each step, and a step goes from nothing to its
     * full rate at once, so the first seconds show how it takes up a sudden load
     * and the rest what it sustains.
     */
    readonly p99Settled?: number | undefined;
  };
  readonly maxKafkaLag?: number;
  /**
   * Stadtfluss only: how fast the bridge's /metrics answered, asked every 250 ms
   * from the start of publishing to the end of the drain. A stalled bridge answers late or not at all.
   */
  readonly bridgeMetricsResponse?: Responsiveness;
  readonly processes: readonly ProcessUsage[];
  /** CPU of the whole machine, and of processes that are not part of this benchmark (other work on the host). */
  readonly machineCpuPercent: number;
  readonly otherCpuPercent: number;
  readonly timeline: readonly TimelinePoint[];
}

export type WarmupDevices = "other" | "step";
export const WARMUP_DEVICES_CHOICES: readonly WarmupDevices[] = ["other", "step"];

const TENANT = "musterstadt";
const WARMUP_TENANT = "warmup";
const WARMUP_DEVICES = 100;
/** Seconds into a step after which its latency counts as settled (latencyMs.p99Settled). */
export const SETTLE_SECONDS = 5;
/** How long before its step the load generator starts: its start-up stays out of the step (LoadPlan.startAt). */
const LOAD_LEAD_MS = 3_000;

/** One candidate under one load plan on fresh brokers, database and topics. */
export async function runScenario(options: ScenarioOptions): Promise<ScenarioResult> {
  const { log } = options;
  const payload = options.payload ?? "stadtfluss-json";
  const id = uniqueName(`bench-${options.candidate}`);
  const database = id.replaceAll("-", "_");
  const mqttPrefix = id;
  const mosquitto: MosquittoServer = await startMosquitto({
    queues: options.setting === "raised" ? "stadtfluss" : "default",
    ...(process.env.BENCH_MOSQUITTO_LOG ? { extra: [`log_dest file ${process.env.BENCH_MOSQUITTO_LOG}`] } : {}),
  });
  let kafka: KafkaBroker | undefined;
  const stops: Array<() => Promise<unknown>> = [() => mosquitto.stop()];
  try {
    await createDatabase({ url: options.influx.url, database });
    const influxUrl = new URL(options.influx.url);
    let bridgeDropped: (() => Promise<number>) | undefined;
    let stagesNow: (() => Promise<{ kafkaLag: number; stages: NonNullable<TimelinePoint["stages"]> }>) | undefined;
    let bridgeProbe: ResponsivenessProbe | undefined;
    if (options.candidate !== "node-red") {
      kafka = await startKafkaBroker(options.kafka ?? {});
      const broker = kafka;
      stops.unshift(() => broker.stop());
      const extraEnv = options.candidate === "stadtfluss" ? options.stadtflussEnv : options.baselineEnv;
      const pipeline = await startStadtfluss({
        mqttUrl: mosquitto.url,
        kafkaBrokers: kafka.brokers,
        influxUrl: options.influx.url,
        database,
        id,
        mqttTopic: `${mqttPrefix}/{tenant}/{device}/up`,
        format: payload,
        ...(payload === "generic-json"
          ? {
              registryFile: registryFile(
                new Map([
                  [TENANT, options.devices],
                  [WARMUP_TENANT, WARMUP_DEVICES],
                ]),
              ),
            }
          : {}),
        protocolVersion:
          options.candidate === "stadtfluss-baseline"
            ? (options.baselineBridgeProtocol ?? options.bridgeProtocol)
            : options.bridgeProtocol,
        ...(options.candidate === "stadtfluss-baseline" && options.baselineRoot ? { root: options.baselineRoot } : {}),
        ...(options.cpuProfileDir ? { cpuProfileDir: options.cpuProfileDir } : {}),
        // Each its own settings: those under test (--env) and the baseline's (--baseline-env).
        ...(extraEnv ? { extraEnv } : {}),
      });
      stops.unshift(() => pipeline.stop());
      bridgeDropped = () => pipeline.metric("bridge", "stadtfluss_mqtt_broker_dropped_messages");
      // The timeline reads the bridge's figures from the probe's latest answer instead of
      // asking again: the bridge renders /metrics no more often than without the probe,
      // and the probe's own work is the harness's CPU, not the bridge's.
      const probe = new ResponsivenessProbe(`${pipeline.workers.bridge.opsUrl}/metrics`, { intervalMs: 250 });
      bridgeProbe = probe;
      // One scrape of each worker per sample, both at once: every figure of a sample is of
      // one moment. Figures reused from an earlier sample's scrape had shown the pipeline
      // delivering nothing for 0.5 s, then twice the rate, wherever a scrape was slow.
      stagesNow = async () => {
        const [normalizer, writer] = await Promise.all([pipeline.scrape("normalizer"), pipeline.scrape("writer")]);
        const bridge = probe.latest;
        return {
          kafkaLag:
            metricSum(normalizer, "stadtfluss_consumer_lag_messages") +
            metricSum(writer, "stadtfluss_consumer_lag_messages"),
          stages: {
            bridgeInFlight: metricSum(bridge, "stadtfluss_in_flight_messages"),
            bridgeOut: metricSum(bridge, "stadtfluss_messages_out_total"),
            bridgeSends: metricSum(bridge, "stadtfluss_batch_write_seconds_count"),
            bridgeSendSeconds: metricSum(bridge, "stadtfluss_batch_write_seconds_sum"),
            normalizerOut: metricSum(normalizer, "stadtfluss_messages_out_total"),
            writerOut: metricSum(writer, "stadtfluss_messages_out_total"),
            normalizerSends: metricSum(normalizer, "stadtfluss_batch_write_seconds_count"),
            normalizerSendSeconds: metricSum(normalizer, "stadtfluss_batch_write_seconds_sum"),
            writerWrites: metricSum(writer, "stadtfluss_batch_write_seconds_count"),
            writerWriteSeconds: metricSum(writer, "stadtfluss_batch_write_seconds_sum"),
          },
        };
      };
    } else {
      const nodeRed = await startNodeRed({
        prefix: installNodeRed(),
        ...(options.cpuProfileDir ? { cpuProfileDir: options.cpuProfileDir } : {}),
      });
      stops.unshift(() => nodeRed.stop());
      await nodeRed.deploy({
        mqtt: { host: "127.0.0.1", port: mosquitto.port, topic: `${mqttPrefix}/+/+/up`, clientId: `${id}-flow` },
        influx: { host: influxUrl.hostname, port: Number(influxUrl.port), database },
        joinCount: 5_000,
        joinTimeoutSeconds: 1,
        payload,
      });
    }

    // Warm-up: connections, consumer groups and JIT settle before measuring.
    const onStepDevices = options.warmup === "step";
    const warmupTenant = onStepDevices ? TENANT : WARMUP_TENANT;
    const warmupDevices = onStepDevices ? options.devices : WARMUP_DEVICES;
    const warmup = await runLoad({
      url: mosquitto.url,
      topicPrefix: mqttPrefix,
      tenant: warmupTenant,
      devices: warmupDevices,
      connections: 1,
      payload,
      phases: [{ rate: Math.max(1_000, warmupDevices), seconds: 3 }],
    });
    const warmupStored = await waitForCount(options.influx.url, database, warmupTenant, warmup.sent, 30_000);
    if (warmupStored < warmup.sent) log(`  warm-up: only ${warmupStored}/${warmup.sent} stored`);
    // Only what the step publishes counts (and is probed): on the step's devices the
    // warm-up's points come before this; on others there is nothing of the step's tenant before it.
    const stepFrom = Date.now();

    // The step's load generator starts now and publishes from LOAD_LEAD_MS on (LoadPlan.startAt).
    const loadStartsAt = Date.now() + LOAD_LEAD_MS;
    let published = 0;
    const loading = runLoad(
      {
        url: mosquitto.url,
        topicPrefix: mqttPrefix,
        tenant: TENANT,
        devices: options.devices,
        connections: options.connections,
        phases: options.phases,
        payload,
        startAt: loadStartsAt,
      },
      (line) => {
        published = line.published;
      },
    );
    // Awaited after the step; a failure before then is reported there, not as unhandled.
    loading.catch(() => undefined);
    const drops = await watchDropCounter(mosquitto.url);
    const dropsBefore = await drops.current(1_500);
    const devices = Array.from({ length: options.devices }, (_, i) => loadDeviceName(i));
    const step = Math.max(1, Math.floor(options.devices / 20));
    const probe = new LatencyProbe({
      url: options.influx.url,
      database,
      tenant: TENANT,
      devices: devices.filter((_, i) => i % step === 0),
      since: stepFrom,
    });
    await delay(Math.max(0, loadStartsAt - Date.now()));
    const usage = new UsageSampler();
    usage.start();
    probe.start(50);
    bridgeProbe?.start();
    const started = Date.now();
    const timeline: TimelinePoint[] = [];
    let maxKafkaLag = 0;
    const sampleTimeline = async () => {
      const pipelineNow = stagesNow ? await stagesNow() : undefined;
      // The moment the workers answered, which their figures are of.
      const now = Date.now();
      const lag = pipelineNow?.kafkaLag;
      const stageCounts = pipelineNow?.stages;
      if (lag !== undefined) maxKafkaLag = Math.max(maxKafkaLag, lag);
      const newestSeq = probe.newestSeq();
      const newestAge =
        probe.samples.length > 0 ? (now - Math.max(...probe.samples.slice(-200).map((s) => s.publishedAt))) / 1000 : 0;
      timeline.push({
        t: (now - started) / 1000,
        published,
        behindMessages: Math.max(0, Math.round(published - options.devices * (newestSeq + 1))),
        behindSeconds: Math.round(newestAge * 100) / 100,
        ...(lag === undefined ? {} : { kafkaLag: lag }),
        ...(stageCounts === undefined ? {} : { stages: stageCounts }),
      });
    };
    const timer = setInterval(() => void sampleTimeline(), 500);
    const load = await loading;
    const publishEnded = Date.now();
    const stored = await waitForCount(
      options.influx.url,
      database,
      TENANT,
      load.sent,
      options.drainSeconds * 1_000,
      10_000,
      stepFrom,
    );
    const drainSeconds = (Date.now() - publishEnded) / 1000;
    clearInterval(timer);
    // A sample's scrapes may outlast the next tick: keep the timeline in time order.
    timeline.sort((x, y) => x.t - y.t);
    await probe.stop();
    const bridgeMetricsResponse = await bridgeProbe?.stop();
    const processes = usage.stop();
    const machineCpuPercent = usage.machineCpuPercent();
    const ownCpu = processes.reduce((sum, p) => sum + p.cpuPercent, 0);
    const dropsAfter = await drops.current(1_500);
    drops.close();
    const bridgeDroppedMetric = bridgeDropped ? await bridgeDropped() : undefined;

    const perDevice = await countPerDevice(options.influx.url, database, TENANT, stepFrom);
    const expected = load.sent / options.devices;
    let lost = 0;
    let devicesWithLoss = 0;
    for (const device of devices) {
      const missing = Math.max(0, expected - (perDevice.get(device) ?? 0));
      lost += missing;
      if (missing > 0) devicesWithLoss++;
    }
    const latencies = probe.samples.map((s) => s.seenAt - s.publishedAt);
    const settledFrom = (load.phases[0]?.startedAt ?? started) + SETTLE_SECONDS * 1_000;
    const settled = probe.samples.filter((s) => s.publishedAt >= settledFrom).map((s) => s.seenAt - s.publishedAt);
    const publishSeconds = load.phases.reduce((sum, p) => sum + (p.endedAt - p.startedAt), 0) / 1000;
    return {
      candidate: options.candidate,
      setting: options.setting,
      phases: load.phases,
      offeredRate: Math.round(load.sent / options.phases.reduce((sum, p) => sum + p.seconds, 0)),
      achievedRate: Math.round(load.sent / publishSeconds),
      sent: load.sent,
      delivered: [...perDevice.values()].reduce((sum, n) => sum + n, 0),
      lost,
      devicesWithLoss,
      mosquittoDropped: dropsAfter - dropsBefore,
      ...(bridgeDroppedMetric === undefined ? {} : { bridgeDroppedMetric }),
      drainSeconds: Math.round(drainSeconds * 10) / 10,
      drained: stored >= load.sent,
      latencyMs: {
        p50: percentile(latencies, 50),
        p99: percentile(latencies, 99),
        max: percentile(latencies, 100),
        samples: latencies.length,
        p99Settled: percentile(settled, 99),
      },
      ...(stagesNow ? { maxKafkaLag } : {}),
      ...(bridgeMetricsResponse ? { bridgeMetricsResponse } : {}),
      processes,
      machineCpuPercent,
      otherCpuPercent: Math.max(0, Math.round((machineCpuPercent - ownCpu) * 10) / 10),
      timeline,
    };
  } finally {
    for (const stop of stops) await stop().catch(() => undefined);
    await dropDatabase({ url: options.influx.url, database }).catch(() => undefined);
  }
}

/** Runs the load generator as a child process; resolves with its final report. */
async function runLoad(
  plan: LoadPlan,
  onLine?: (line: LoadLine) => void,
): Promise<{ sent: number; phases: readonly PhaseResult[] }> {
  const child = startProcess(
    "load-generator",
    process.execPath,
    [join(import.meta.dirname, "load-process.ts"), JSON.stringify(plan)],
    {
      env: { PATH: process.env.PATH ?? "", NODE_NO_WARNINGS: "1" },
    },
  );
  let done: LoadLine["done"];
  const parse = (text: string) => {
    if (!text.startsWith("{")) return;
    const line = JSON.parse(text) as LoadLine;
    onLine?.(line);
    if (line.done) done = line.done;
  };
  const seen = { n: 0 };
  const poll = setInterval(() => {
    while (seen.n < child.output.length) parse(child.output[seen.n++] ?? "");
  }, 100);
  const { code } = await child.exited;
  clearInterval(poll);
  while (seen.n < child.output.length) parse(child.output[seen.n++] ?? "");
  if (code !== 0 || !done) throw new Error(`load generator failed (${code}):\n${child.output.slice(-10).join("\n")}`);
  return { sent: done.sent, phases: done.phases };
}

async function countPerDevice(
  url: string,
  database: string,
  tenant: string,
  since: number,
): Promise<Map<string, number>> {
  const [series = []] = await influxQL(
    { url, database },
    `SELECT count("seq") AS n FROM "traffic" WHERE "tenant" = ${quoteString(tenant)} AND time >= ${since}ms GROUP BY "device"`,
  );
  return new Map(series.map((s) => [s.tags?.device ?? "", Number(s.values[0]?.[1] ?? 0)]));
}

/**
 * Polls the stored count until it reaches `expected`, the time is up, or it
 * stopped growing for `stallMs` (what is missing then is lost, not late).
 */
async function waitForCount(
  url: string,
  database: string,
  tenant: string,
  expected: number,
  timeoutMs: number,
  stallMs = timeoutMs,
  since = 0,
): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let count = 0;
  let changedAt = Date.now();
  while (Date.now() < deadline && Date.now() - changedAt < stallMs) {
    const [series = []] = await influxQL(
      { url, database },
      `SELECT count("seq") AS n FROM "traffic" WHERE "tenant" = ${quoteString(tenant)} AND time >= ${since}ms`,
    ).catch(() => [[]]);
    const now = Number(series[0]?.values[0]?.[1] ?? 0);
    if (now !== count) changedAt = Date.now();
    count = now;
    if (count >= expected) return count;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return count;
}

/** Mosquitto's own count of messages it dropped, from $SYS (published every sys_interval). */
async function watchDropCounter(url: string): Promise<{ current(waitMs: number): Promise<number>; close(): void }> {
  const client = await mqtt.connectAsync(url, { clientId: uniqueName("bench-sys") });
  let value = 0;
  client.on("message", (_topic, payload) => {
    value = Number(payload.toString()) || 0;
  });
  await client.subscribeAsync("$SYS/broker/publish/messages/dropped", { qos: 0 });
  return {
    async current(waitMs) {
      await new Promise((resolve) => setTimeout(resolve, waitMs));
      return value;
    },
    close: () => void client.endAsync(),
  };
}
