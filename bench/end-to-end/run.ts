import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { startInfluxDB } from "@stadtfluss/testing";
import { PAYLOADS, type PayloadName } from "./payloads.ts";
import { descendants } from "./process-usage.ts";
import { writeReport } from "./report.ts";
import {
  type Candidate,
  type QueueSetting,
  runScenario,
  type ScenarioResult,
  SETTLE_SECONDS,
  WARMUP_DEVICES_CHOICES,
  type WarmupDevices,
} from "./scenario.ts";
import { measureStageBounds, type StageBounds } from "./stage-bounds.ts";

/**
 * End-to-end benchmark, Stadtfluss beside a Node-RED flow over the same servers:
 * stepped rates until each candidate loses (plus one step to confirm), then a
 * burst at twice the rate both sustained, for each Mosquitto queue setting.
 * First, unless --no-bounds, each worker's CPU-only bound (bench/cpu's whole-stage
 * rows), so that the report sets each stage against it on the same machine.
 * Usage: pnpm bench:e2e [--seconds 15] [--rates 5000,10000,...] [--burst-seconds 60] [--payload generic-json]
 *   [--rounds 3 --no-burst]: each rate three times, for CPU per message compared round by round.
 *   [--warmup step]: the warm-up on the step's own devices, which then are not new to any stage.
 *   [--kafka 3:12]: the test broker's brokers and partitions per topic (compose's 1:6 unless set).
 */
const { values } = parseArgs({
  options: {
    seconds: { type: "string", default: process.env.BENCH_SECONDS ?? "15" },
    rates: { type: "string", default: process.env.BENCH_RATES ?? "1000,2500,5000,7500,10000,15000,20000,30000,40000" },
    settings: { type: "string", default: "default,raised" },
    candidates: { type: "string", default: "stadtfluss,node-red" },
    devices: { type: "string", default: "1000" },
    connections: { type: "string", default: "1" },
    "burst-seconds": { type: "string", default: process.env.BENCH_BURST_SECONDS ?? "60" },
    "after-burst-seconds": { type: "string", default: "30" },
    /** The burst's base rate instead of the lowest rate every candidate sustained. */
    "burst-base": { type: "string" },
    "drain-seconds": { type: "string", default: "60" },
    "confirm-steps": { type: "string", default: "1" },
    /** Each rate this many times, candidates taking turns each time: CPU per message compared round by round. */
    rounds: { type: "string", default: "1" },
    "cpu-prof": { type: "string" },
    "no-burst": { type: "boolean", default: false },
    "no-bounds": { type: "boolean", default: false },
    out: { type: "string", default: join(import.meta.dirname, "../results") },
    tag: { type: "string", default: "" },
    env: { type: "string", multiple: true, default: [] },
    "baseline-env": { type: "string", multiple: true, default: [] },
    "bridge-protocol": { type: "string", default: "5" },
    /** What the devices send: stadtfluss-json, or generic-json through a registered device type (payloads.ts). */
    payload: { type: "string", default: "stadtfluss-json" },
    /** Whose devices the warm-up publishes on: another tenant's (each step's devices are new), or the step's own. */
    warmup: { type: "string", default: "other" },
    /** The test broker's layout, brokers:partitions per topic: compose's one host (1:6) unless set; Kubernetes runs 3:12. */
    kafka: { type: "string", default: "1:6" },
    "baseline-root": { type: "string" },
    /** 4 for a baseline from before the bridge could use MQTT 5. */
    "baseline-bridge-protocol": { type: "string", default: "5" },
  },
});

const seconds = Number(values.seconds);
const rates = values.rates.split(",").map(Number);
const settings = values.settings.split(",") as QueueSetting[];
const candidates = values.candidates.split(",") as Candidate[];
const devices = Number(values.devices);
if (!PAYLOADS.includes(values.payload as PayloadName))
  throw new Error(`--payload ${values.payload}: expected one of ${PAYLOADS.join(", ")}`);
const payload = values.payload as PayloadName;
if (!WARMUP_DEVICES_CHOICES.includes(values.warmup as WarmupDevices))
  throw new Error(`--warmup ${values.warmup}: expected one of ${WARMUP_DEVICES_CHOICES.join(", ")}`);
const warmup = values.warmup as WarmupDevices;
const kafkaLayout = /^([1-9]\d*):([1-9]\d*)$/.exec(values.kafka);
if (!kafkaLayout) throw new Error(`--kafka ${values.kafka}: expected brokers:partitions, such as 1:6`);
const kafka = { brokers: Number(kafkaLayout[1]), partitions: Number(kafkaLayout[2]) };
const connections = Number(values.connections);
const rounds = Number(values.rounds);
if (!Number.isInteger(rounds) || rounds < 1)
  throw new Error(`--rounds ${values.rounds}: expected a whole number from 1`);
const log = (line: string) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);
// --env and --baseline-env stage:NAME=value, for measuring a setting before and after
// in the same run. Both run as `pnpm start` does, with observation v4, unless told otherwise.
const stageEnv = (option: string, entries: readonly string[]) => {
  const env: Record<string, Record<string, string>> = { normalizer: { NORMALIZER_OBSERVATION_VERSION: "4" } };
  for (const entry of entries) {
    const match = /^(bridge|normalizer|writer):([A-Z0-9_]+)=(.*)$/.exec(entry);
    if (!match?.[1] || !match[2]) throw new Error(`${option} ${entry}: expected stage:NAME=value`);
    env[match[1]] = { ...env[match[1]], [match[2]]: match[3] ?? "" };
  }
  return env;
};
const stadtflussEnv = stageEnv("--env", values.env);
const baselineEnv = stageEnv("--baseline-env", values["baseline-env"]);

export interface StepResult extends ScenarioResult {
  readonly lossless: boolean;
  readonly bounded: boolean;
  /** With --rounds: which of the rate's rounds (from 0). */
  readonly round?: number;
}

/** Bounded lag: everything queryable within the drain bound and p99 under 5 s. */
const BOUNDED_P99_MS = 5_000;

function judge(result: ScenarioResult): StepResult {
  const lossless = result.lost === 0 && result.mosquittoDropped === 0 && result.drained;
  const bounded = result.drained && (result.latencyMs.p99 ?? Number.POSITIVE_INFINITY) < BOUNDED_P99_MS;
  return { ...result, lossless, bounded };
}

const summary = (r: StepResult) =>
  `${r.candidate}/${r.setting} ${r.offeredRate}/s (achieved ${r.achievedRate}/s): lost ${r.lost} of ${r.sent}, dropped ${r.mosquittoDropped}, p50 ${r.latencyMs.p50} ms p99 ${r.latencyMs.p99} ms (after ${SETTLE_SECONDS} s ${r.latencyMs.p99Settled ?? "–"} ms), drain ${r.drainSeconds} s → ${r.lossless && r.bounded ? "ok" : "FAIL"}`;

async function main(): Promise<void> {
  const startedAt = new Date();
  mkdirSync(values.out, { recursive: true });
  // Before any server starts, on an otherwise quiet machine; about 1 s per row and per baseline.
  let bounds: StageBounds | undefined;
  if (!values["no-bounds"]) {
    log("CPU-only bound of each worker (bench/cpu's whole-stage rows)");
    bounds = await measureStageBounds(1_000);
    log(`  msg/s per core: ${JSON.stringify(bounds.messagesPerSecondPerCore)}`);
  }
  const influx = await startInfluxDB();
  const steps: StepResult[] = [];
  const bursts: StepResult[] = [];
  const common = {
    influx,
    devices,
    connections,
    drainSeconds: Number(values["drain-seconds"]),
    ...(values["cpu-prof"] ? { cpuProfileDir: values["cpu-prof"] } : {}),
    // Relative to where `pnpm bench:e2e` was typed, not to bench/, where pnpm runs the script.
    ...(values["baseline-root"]
      ? { baselineRoot: resolve(process.env.INIT_CWD ?? process.cwd(), values["baseline-root"]) }
      : {}),
    baselineBridgeProtocol: values["baseline-bridge-protocol"] === "4" ? (4 as const) : (5 as const),
    stadtflussEnv,
    baselineEnv,
    bridgeProtocol: values["bridge-protocol"] === "4" ? (4 as const) : (5 as const),
    payload,
    warmup,
    kafka,
    log,
  };
  try {
    for (const setting of settings) {
      const headline = new Map<Candidate, number>();
      const failures = new Map<Candidate, number>();
      const running = (candidate: Candidate) => (failures.get(candidate) ?? 0) <= Number(values["confirm-steps"]);
      for (const [index, rate] of rates.entries()) {
        // Candidates take turns at each rate, first one then the other going first:
        // a host whose speed drifts over the run then favours neither.
        for (let round = 0; round < rounds; round++) {
          for (const candidate of (index + round) % 2 === 0 ? candidates : candidates.toReversed()) {
            if (!running(candidate)) continue;
            log(`${candidate}/${setting}: ${rate} msg/s for ${seconds} s${rounds > 1 ? `, round ${round + 1}` : ""}`);
            const result = judge(await runScenario({ ...common, candidate, setting, phases: [{ rate, seconds }] }));
            steps.push(rounds > 1 ? { ...result, round } : result);
            writeFileSync(join(values.out, "e2e-partial.json"), `${JSON.stringify({ steps, bursts }, null, 2)}\n`);
            log(`  ${summary(result)}`);
            if (result.lossless && result.bounded)
              headline.set(candidate, Math.max(headline.get(candidate) ?? 0, rate));
            else failures.set(candidate, (failures.get(candidate) ?? 0) + 1);
          }
        }
        if (!candidates.some(running)) break;
      }
      if (values["no-burst"]) continue;
      // Twice the rate that every candidate sustained, so that the burst overloads the weaker one.
      const base = values["burst-base"]
        ? Number(values["burst-base"])
        : Math.min(...candidates.map((c) => headline.get(c) ?? rates[0] ?? 1_000));
      for (const candidate of candidates) {
        log(`${candidate}/${setting}: burst ${2 * base} msg/s for ${values["burst-seconds"]} s, then ${base} msg/s`);
        const result = judge(
          await runScenario({
            ...common,
            candidate,
            setting,
            phases: [
              { rate: 2 * base, seconds: Number(values["burst-seconds"]) },
              { rate: base, seconds: Number(values["after-burst-seconds"]) },
            ],
            drainSeconds: Math.max(common.drainSeconds, 2 * Number(values["burst-seconds"])),
          }),
        );
        bursts.push(result);
        writeFileSync(join(values.out, "e2e-partial.json"), `${JSON.stringify({ steps, bursts }, null, 2)}\n`);
        log(`  ${summary(result)}`);
      }
    }
  } finally {
    await influx.stop();
  }
  const run = {
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    tag: values.tag,
    machine: {
      cpu: cpus()[0]?.model ?? "unknown",
      cores: cpus().length,
      memoryGiB: Math.round(totalmem() / 2 ** 30),
      node: process.version,
      platform: `${process.platform} ${process.arch}`,
    },
    options: {
      seconds,
      rates,
      settings,
      candidates,
      devices,
      connections,
      rounds,
      burstSeconds: Number(values["burst-seconds"]),
      stadtflussEnv,
      baselineEnv,
      bridgeProtocol: common.bridgeProtocol,
      payload,
      warmup,
      kafka,
    },
    ...(bounds ? { bounds } : {}),
    steps,
    bursts,
  };
  const name = `e2e-${startedAt.toISOString().replaceAll(":", "-").slice(0, 19)}${values.tag ? `-${values.tag}` : ""}.json`;
  writeFileSync(join(values.out, name), `${JSON.stringify(run, null, 2)}\n`);
  writeReport(run, values.out, name);
  rmSync(join(values.out, "e2e-partial.json"), { force: true });
  log(`results: ${join(values.out, name)}`);
}

export type BenchRun = {
  startedAt: string;
  finishedAt: string;
  tag: string;
  machine: { cpu: string; cores: number; memoryGiB: number; node: string; platform: string };
  options: Record<string, unknown>;
  /** Absent with --no-bounds. */
  bounds?: StageBounds;
  steps: StepResult[];
  bursts: StepResult[];
};

// Interrupted: take every server, worker and load generator of this run down with it.
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    for (const { pid } of descendants(process.pid)) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {}
    }
    process.exit(130);
  });
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    log(`benchmark failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exit(1);
  },
);
