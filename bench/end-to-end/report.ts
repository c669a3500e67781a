import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { burstChart, rateChart } from "./chart.ts";
import type { BenchRun, StepResult } from "./run.ts";
import { SETTLE_SECONDS } from "./scenario.ts";
import { BOUND_STAGES } from "./stage-bounds.ts";

const MB = 2 ** 20;

/** e2e-latest.json/.md/.svg beside the run's own JSON: what docs/performance.md shows. */
export function writeReport(run: BenchRun, out: string, jsonName: string): void {
  writeFileSync(join(out, "e2e-latest.json"), `${JSON.stringify(run, null, 2)}\n`);
  writeFileSync(join(out, "e2e-latest.svg"), rateChart(run.steps));
  if (run.bursts.length > 0) writeFileSync(join(out, "e2e-latest-burst.svg"), burstChart(run.bursts));
  writeFileSync(join(out, "e2e-latest.md"), summary(run, jsonName, out));
}

/** Runs before `--kafka` had three brokers of three partitions each. */
function kafkaLayout(run: BenchRun): string {
  const { brokers, partitions } = (run.options.kafka as { brokers: number; partitions: number } | undefined) ?? {
    brokers: 3,
    partitions: 3,
  };
  return `${brokers} broker${brokers === 1 ? "" : "s"}, ${partitions} partitions per topic`;
}

function summary(run: BenchRun, jsonName: string, out: string): string {
  const m = run.machine;
  const settings = [...new Set(run.steps.map((s) => s.setting))];
  const candidates = [...new Set(run.steps.map((s) => s.candidate))];
  const headline = (setting: string, candidate: string) => {
    const ok = run.steps.filter((s) => s.setting === setting && s.candidate === candidate && s.lossless && s.bounded);
    return ok.sort((a, b) => b.offeredRate - a.offeredRate)[0];
  };
  const others = run.steps.map((s) => s.otherCpuPercent);
  const lines = [
    "# End-to-end benchmark: Stadtfluss beside Node-RED",
    "",
    `Run ${run.startedAt} – ${run.finishedAt} (\`${jsonName}\`), ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, Node ${m.node}, ${m.platform}.`,
    `Mosquitto 2.0.11, the Kafka-protocol broker (librdkafka mock, ${kafkaLayout(run)}), InfluxDB 1.6.7, Node-RED 5.0.7 with node-red-contrib-influxdb 0.7.0; ${run.options.devices} devices on ${run.options.connections} QoS 1 connection(s); ${run.options.seconds} s per rate; options: \`${JSON.stringify(run.options)}\`.`,
    "",
    `CPU used on the host by processes outside the benchmark during the steps: mean ${mean(others)} %, max ${Math.max(0, ...others)} % of one core (all cores: ${m.cores * 100} %).`,
    "",
    "Headline: the highest offered rate with nothing lost (counted per device by `seq` in InfluxDB, and Mosquitto's drop counter at 0), everything queryable within the drain bound and p99 under 5 s.",
    "",
    "| Mosquitto queue | candidate | lossless rate (msg/s) | p50 / p99 there (ms) | × Node-RED |",
    "| --- | --- | ---: | ---: | ---: |",
  ];
  for (const setting of settings) {
    const peer = headline(setting, "node-red")?.offeredRate;
    for (const candidate of candidates) {
      const h = headline(setting, candidate);
      const ratio = h && peer ? (h.offeredRate / peer).toFixed(2) : "–";
      lines.push(
        `| ${setting} | ${candidate} | ${h ? h.offeredRate.toLocaleString("en") : "none"} | ${h ? `${h.latencyMs.p50} / ${h.latencyMs.p99}` : "–"} | ${candidate === "node-red" ? "1.00" : ratio} |`,
      );
    }
  }
  lines.push(
    "",
    "![rate against latency and loss](e2e-latest.svg)",
    "",
    "## Every step",
    "",
    `| queue | candidate | offered | achieved | published | lost | Mosquitto dropped | p50 ms | p99 ms | p99 after ${SETTLE_SECONDS} s, ms | drain s | max Kafka lag | bridge /metrics max / p99 ms, > 1 s | other CPU % | verdict |`,
    "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
  );
  // Steps ran rate by rate, candidates taking turns; listed per candidate.
  const byCandidate = run.steps.toSorted(
    (a, b) =>
      settings.indexOf(a.setting) - settings.indexOf(b.setting) ||
      candidates.indexOf(a.candidate) - candidates.indexOf(b.candidate) ||
      a.offeredRate - b.offeredRate,
  );
  for (const s of byCandidate) lines.push(stepRow(s));
  lines.push(...cpuPerMessageSection(run, settings));
  lines.push(...roomSection(run, settings, headline));
  lines.push(
    "",
    "## CPU (% of one core, mean / max over 1 s) and RSS (max) per process, at each candidate's highest lossless rate",
    "",
  );
  for (const setting of settings) {
    for (const candidate of candidates) {
      const h = headline(setting, candidate);
      if (!h) continue;
      lines.push(
        `**${candidate}, ${setting} queue, ${h.offeredRate.toLocaleString("en")} msg/s** (whole machine ${h.machineCpuPercent} %):`,
        "",
        "| process | CPU mean | CPU max | RSS max MB |",
        "| --- | ---: | ---: | ---: |",
        ...h.processes.map(
          (p) => `| ${p.name} | ${p.cpuPercent} | ${p.cpuPercentMax} | ${Math.round(p.rssMaxBytes / MB)} |`,
        ),
        "",
      );
    }
  }
  lines.push(...boundsSection(run, settings, headline));
  if (run.bursts.length > 0) {
    lines.push(
      "## Burst",
      "",
      "Twice the rate that every candidate sustained in that setting, then back to it; behind = published − queryable (estimated from the sampled devices' newest `seq`); drained = time after the burst until behind fell under one second of traffic.",
      "",
      "| queue | candidate | burst | then | published | lost | Mosquitto dropped | p99 ms | max behind | drained after s | max Kafka lag | bridge /metrics max / p99 ms, > 1 s |",
      "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    );
    for (const b of run.bursts) {
      const [burst, after] = b.phases;
      const burstEnd = burst ? (burst.endedAt - burst.startedAt) / 1000 : 0;
      const base = after?.rate ?? 0;
      const drained = [...b.timeline].sort((x, y) => x.t - y.t).find((t) => t.t > burstEnd && t.behindMessages <= base);
      lines.push(
        `| ${b.setting} | ${b.candidate} | ${burst?.rate ?? "?"} msg/s × ${Math.round(burstEnd)} s | ${base} msg/s | ${b.sent} | ${b.lost} | ${b.mosquittoDropped} | ${b.latencyMs.p99} | ${Math.max(0, ...b.timeline.map((t) => t.behindMessages))} | ${drained ? (drained.t - burstEnd).toFixed(1) : "not within the run"} | ${b.maxKafkaLag ?? "–"} | ${responsiveness(b)} |`,
      );
    }
    lines.push("", "![lag during the burst](e2e-latest-burst.svg)", "");
  }
  const notes = join(out, "e2e-notes.md");
  if (existsSync(notes)) lines.push(readFileSync(notes, "utf8").trim(), "");
  return `${lines.join("\n")}\n`;
}

/** Stadtfluss's workers at their highest lossless rate (and highest offered) against their CPU-only bounds. */
function boundsSection(
  run: BenchRun,
  settings: readonly string[],
  headline: (setting: string, candidate: string) => StepResult | undefined,
): string[] {
  const GOAL = 0.5;
  const bounds = run.bounds;
  const lines = [
    "## Each stage against its CPU-only bound",
    "",
    "| queue | step | worker | delivered msg/s | CPU mean % | msg/s per core of CPU | bound msg/s per core | ÷ bound | goal ≥ 0.5 |",
    "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | --- |",
  ];
  let rows = 0;
  for (const setting of settings) {
    const own = run.steps.filter((s) => s.setting === setting && s.candidate === "stadtfluss");
    const lossless = headline(setting, "stadtfluss");
    const highest = [...own].sort((a, b) => b.offeredRate - a.offeredRate)[0];
    const chosen: Array<[string, StepResult]> = [];
    if (lossless) chosen.push(["highest lossless", lossless]);
    if (highest && highest !== lossless) chosen.push(["highest offered", highest]);
    for (const [label, step] of chosen) {
      const stepText = `${label}: ${number(step.offeredRate)} offered, ${number(step.achievedRate)} achieved${!step.lossless ? ` (${number(step.lost)} lost)` : !step.bounded ? " (lag)" : ""}`;
      for (const worker of BOUND_STAGES) {
        const p = step.processes.find((q) => q.name === worker);
        const bound = bounds?.messagesPerSecondPerCore[worker];
        if (!p || p.seconds <= 0 || p.cpuSeconds <= 0) {
          lines.push(`| ${setting} | ${stepText} | ${worker} | – | – | – | ${bound ? number(bound) : "–"} | – | – |`);
          continue;
        }
        // Messages and CPU over the same window, so per core = delivered ÷ CPU seconds.
        const perCore = step.delivered / p.cpuSeconds;
        const ratio = bound ? perCore / bound : undefined;
        lines.push(
          `| ${setting} | ${stepText} | ${worker} | ${number(step.delivered / p.seconds)} | ${p.cpuPercent} | ${number(perCore)} | ${bound ? number(bound) : "–"} | ${ratio === undefined ? "–" : ratio.toFixed(2)} | ${ratio === undefined ? "–" : ratio >= GOAL ? "met" : "**not met**"} |`,
        );
      }
      rows++;
    }
  }
  if (rows === 0) return [];
  const pinned =
    bounds?.pinnedToCore === undefined ? "unpinned (no taskset)" : `pinned to core ${bounds.pinnedToCore} with taskset`;
  lines.push(
    "",
    bounds
      ? `The bound is \`pnpm bench:cpu\`'s whole-stage row for the worker, measured at the start of this run (${pinned}, tinybench, ${number(bounds.timePerTaskMs)} ms per row, batches of 1,000 messages): its CPU path per message in memory, from the bytes it reads off its sockets to those it writes to them, without a registry and without gzip, as this load runs. The e2e figure is the worker process's CPU time (all threads, from /proc) per delivered message, so it also holds everything the bound leaves out: network I/O, mqtt.js's client bookkeeping, offset commits, metrics and their scrapes, and the garbage collector's helper threads on the other cores.`
      : "Bounds not measured in this run (`--no-bounds`); `pnpm bench:cpu` measures them.",
    "",
    "Delivered msg/s and CPU mean are over the window the sampler watched (publishing and the drain), so msg/s per core of CPU = delivered ÷ the worker's CPU seconds. Messages are MQTT messages: with the `generic-json` payload the normalizer emits several observations per message (`options.payload`).",
    "",
  );
  return lines;
}

/** The processes each candidate needs; Mosquitto and InfluxDB serve both. */
const WORKERS = ["mqtt-bridge", "normalizer", "influx-writer"];
const SHARED_SERVERS = ["mosquitto", "influxd"];

/** µs of CPU the named processes used per delivered message over the step's window. */
function micros(step: StepResult, names: readonly string[]): number {
  const seconds = step.processes.filter((p) => names.includes(p.name)).reduce((sum, p) => sum + p.cpuSeconds, 0);
  return step.delivered > 0 ? (seconds / step.delivered) * 1e6 : Number.NaN;
}

/**
 * CPU seconds per delivered message at each rate Node-RED and a Stadtfluss candidate
 * (the tree, or the baseline with its own settings) both ran, over the same window
 * (publishing and the drain): Stadtfluss's workers alone, with the Kafka broker, and
 * with the servers both use; Node-RED alone and with the same servers.
 */
function cpuPerMessageSection(run: BenchRun, settings: readonly string[]): string[] {
  const verdict = (s: StepResult) => (s.lossless && s.bounded ? "" : s.lossless ? " (lag)" : " (lost)");
  const rows: string[] = [];
  const paired: RoundsOfRate[] = [];
  for (const setting of settings)
    for (const own of run.steps.filter(
      (s) => s.setting === setting && (s.candidate === "stadtfluss" || s.candidate === "stadtfluss-baseline"),
    )) {
      // With --rounds, each round's steps against each other: they ran next to each other.
      const peer = run.steps.find(
        (s) =>
          s.setting === setting &&
          s.candidate === "node-red" &&
          s.offeredRate === own.offeredRate &&
          s.round === own.round,
      );
      if (!peer) continue;
      const workers = micros(own, WORKERS);
      const withBroker = micros(own, [...WORKERS, "kafka-mock"]);
      const all = micros(own, [...WORKERS, "kafka-mock", ...SHARED_SERVERS]);
      const nodeRed = micros(peer, ["node-red"]);
      const nodeRedAll = micros(peer, ["node-red", ...SHARED_SERVERS]);
      const ratios = { workers: workers / nodeRed, all: all / nodeRedAll };
      const rate = paired.find(
        (r) => r.setting === setting && r.candidate === own.candidate && r.offeredRate === own.offeredRate,
      );
      if (rate) rate.ratios.push(ratios);
      else paired.push({ setting, candidate: own.candidate, offeredRate: own.offeredRate, ratios: [ratios] });
      rows.push(
        `| ${setting} | ${own.candidate} | ${number(own.offeredRate)}${own.round === undefined ? "" : ` (${own.round + 1})`} | ${workers.toFixed(1)}${verdict(own)} | ${withBroker.toFixed(1)} | ${all.toFixed(1)} | ${nodeRed.toFixed(1)}${verdict(peer)} | ${nodeRedAll.toFixed(1)} | ${(workers / nodeRed).toFixed(2)} | ${(all / nodeRedAll).toFixed(2)} |`,
      );
    }
  if (rows.length === 0) return [];
  return [
    "",
    "## CPU per message at the same rate",
    "",
    "µs of CPU (user + system, all threads, from /proc) per delivered message, over each step's window (publishing and the drain). Mosquitto and InfluxDB serve both candidates; the Kafka broker only Stadtfluss (here librdkafka's mock, not Apache Kafka). Goal: Stadtfluss's total at most Node-RED's (÷ ≤ 1). `stadtfluss-baseline` runs the workers of `baselineRoot` with `baselineEnv` (options above).",
    "",
    "| queue | candidate | offered msg/s (round) | Stadtfluss workers | + Kafka broker | + Mosquitto, InfluxDB | Node-RED | + Mosquitto, InfluxDB | workers ÷ Node-RED | total ÷ total |",
    "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ...rows,
    ...roundsSummary(paired),
  ];
}

/** One candidate's rounds at one rate and queue setting: each round's ratios to Node-RED's. */
interface RoundsOfRate {
  readonly setting: string;
  readonly candidate: string;
  readonly offeredRate: number;
  readonly ratios: { workers: number; all: number }[];
}

/** With --rounds: per rate, the median and range of the rounds' ratios. */
function roundsSummary(paired: readonly RoundsOfRate[]): string[] {
  if (!paired.some((r) => r.ratios.length > 1)) return [];
  const median = (values: readonly number[]) => {
    const sorted = values.toSorted((a, b) => a - b);
    const middle = Math.floor(sorted.length / 2);
    return sorted.length % 2 === 1
      ? (sorted[middle] ?? Number.NaN)
      : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
  };
  const span = (values: readonly number[]) =>
    `${median(values).toFixed(2)} (${Math.min(...values).toFixed(2)}–${Math.max(...values).toFixed(2)})`;
  const settingsInOrder = [...new Set(paired.map((r) => r.setting))];
  const entries = paired.toSorted(
    (a, b) =>
      settingsInOrder.indexOf(a.setting) - settingsInOrder.indexOf(b.setting) ||
      a.candidate.localeCompare(b.candidate) ||
      a.offeredRate - b.offeredRate,
  );
  const rows = entries.map(({ setting, candidate, offeredRate, ratios }) => {
    const all = ratios.map((r) => r.all);
    return `| ${setting} | ${candidate} | ${number(offeredRate)} | ${ratios.length} | ${span(ratios.map((r) => r.workers))} | ${span(all)} | ${all.filter((r) => r <= 1).length} of ${all.length} |`;
  });
  return [
    "",
    "Each rate's rounds, every Stadtfluss step against Node-RED's step of the same round (they ran next to each other): median and range of the ratios.",
    "",
    "| queue | candidate | offered msg/s | rounds | workers ÷ Node-RED | total ÷ total | rounds with total ÷ total ≤ 1 |",
    "| --- | --- | ---: | ---: | ---: | ---: | ---: |",
    ...rows,
  ];
}

/** What serves both candidates here: the load and the measuring, and the two servers. */
const HOST_SHARED = ["load-generator", "harness", ...SHARED_SERVERS];
const OWN_PROCESSES = [...WORKERS, "kafka-mock"];
const RATE_GOAL = 1.5;

/**
 * Whether this host has the CPU for Stadtfluss at 1.5x Node-RED's lossless rate at
 * all. At a rate r the host's cores give cores x 1e6 / r µs per message; the load,
 * the harness and the two servers take their share first. Each share is the least
 * per message measured in any step of the run (the cost per message falls with the
 * rate), so that the room is overstated rather than understated.
 */
function roomSection(
  run: BenchRun,
  settings: readonly string[],
  headline: (setting: string, candidate: string) => StepResult | undefined,
): string[] {
  const measured = run.steps.filter((s) => s.delivered > 0);
  const least = (steps: readonly StepResult[], names: readonly string[]) =>
    Math.min(...steps.map((step) => micros(step, names)));
  if (measured.length === 0) return [];
  const shared = least(measured, HOST_SHARED);
  const highest = Math.max(...measured.map((s) => s.offeredRate));
  const rows: string[] = [];
  for (const setting of settings) {
    const peer = headline(setting, "node-red");
    if (!peer) continue;
    const target = RATE_GOAL * peer.offeredRate;
    const available = (run.machine.cores * 1e6) / target;
    const room = available - shared;
    // Node-RED for comparison: whether the host would hold it at that rate.
    for (const candidate of ["stadtfluss", "stadtfluss-baseline", "node-red"]) {
      const steps = measured.filter((s) => s.candidate === candidate);
      if (steps.length === 0) continue;
      const own = least(steps, candidate === "node-red" ? ["node-red"] : OWN_PROCESSES);
      const verdict = room >= own ? "fits" : `**does not fit**: room for ${Math.max(0, room / own).toFixed(2)}× of it`;
      rows.push(
        `| ${setting} | ${candidate} | ${number(peer.offeredRate)} | ${number(target)} | ${available.toFixed(1)} | ${room.toFixed(1)} | ${own.toFixed(1)} | ${verdict} |`,
      );
    }
  }
  if (rows.length === 0) return [];
  return [
    "",
    `## Room on this host for ${RATE_GOAL}× Node-RED's lossless rate`,
    "",
    `µs of CPU per message that the host's ${run.machine.cores} cores give at ${RATE_GOAL}× Node-RED's lossless rate, and what is left of it for Stadtfluss's workers and the Kafka broker once the load generator, the harness, Mosquitto and InfluxDB have taken the least they took per message in any step of this run (${shared.toFixed(1)} µs), against the least the workers and the broker used per message in any of the candidate's steps (Node-RED's row: its one process, for comparison). Both are the lowest of steps up to ${number(highest)} msg/s, where the cost per message is smallest, so the room is overstated rather than understated: where it is still smaller, the rate goal cannot be shown on this host, however the steps fall.`,
    "",
    "| queue | candidate | Node-RED's lossless msg/s | goal msg/s | host µs per message there | room left | its own processes, least measured | verdict |",
    "| --- | --- | ---: | ---: | ---: | ---: | ---: | --- |",
    ...rows,
  ];
}

function number(n: number): string {
  return Math.round(n).toLocaleString("en");
}

function stepRow(s: StepResult): string {
  const verdict = s.lossless && s.bounded ? "ok" : !s.lossless ? "lost" : "lag";
  return `| ${s.setting} | ${s.candidate} | ${s.offeredRate} | ${s.achievedRate} | ${s.sent} | ${s.lost} | ${s.mosquittoDropped} | ${s.latencyMs.p50 ?? "–"} | ${s.latencyMs.p99 ?? "–"} | ${s.latencyMs.p99Settled ?? "–"} | ${s.drainSeconds} | ${s.maxKafkaLag ?? "–"} | ${responsiveness(s)} | ${s.otherCpuPercent} | ${verdict} |`;
}

/** The bridge's /metrics answers over the step: max / p99 ms, and how many took over a second (timeouts among them). */
function responsiveness(s: StepResult): string {
  const r = s.bridgeMetricsResponse;
  if (!r) return "–";
  const max = r.timeouts > 0 ? `≥ ${r.deadlineMs}` : String(r.maxMs);
  return `${max} / ${r.p99Ms}, ${r.slowerThan1s} of ${r.requests}${r.timeouts > 0 ? ` (${r.timeouts} timed out)` : ""}`;
}

function mean(values: readonly number[]): number {
  return values.length === 0 ? 0 : Math.round((10 * values.reduce((a, b) => a + b, 0)) / values.length) / 10;
}
