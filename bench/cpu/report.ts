import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface Measurement {
  /** Operations per second from the median time of one operation. */
  readonly opsPerSecond: number;
  /** Relative margin of error of the mean, in percent. */
  readonly rmePercent: number;
  readonly samples: number;
}

export interface RowResult {
  readonly stage: string;
  readonly input: string;
  readonly measured: Measurement;
  readonly baseline: string;
  readonly baselineMeasured: Measurement;
  /** ops/s ÷ baseline ops/s: the number to compare across runs and machines. */
  readonly ratio: number;
  /** baseline ops/s ÷ ops/s: how many baseline operations one operation costs. */
  readonly costInBaselines: number;
  /** Observations one operation produces (decoder rows), for the cost per observation. */
  readonly observations?: number;
}

/**
 * A worker's whole CPU path, measured per batch and reported per message:
 * `measured.opsPerSecond` and `baselineMeasured.opsPerSecond` are messages/s.
 */
export interface WholeStageResult extends RowResult {
  readonly includes: string;
  readonly messagesPerBatch: number;
}

export interface Machine {
  readonly cpu: string;
  readonly cores: number;
  readonly node: string;
  readonly platform: string;
  /** The core the run was pinned to (taskset), or undefined when it ran unpinned. */
  readonly pinnedToCore: number | undefined;
}

export interface CpuBenchRun {
  readonly date: string;
  readonly machine: Machine;
  readonly timePerTaskMs: number;
  readonly rows: readonly RowResult[];
  readonly wholeStages: readonly WholeStageResult[];
}

const number = (n: number) => Math.round(n).toLocaleString("en");

const REFERENCE_DECODER = "decode + convert + validate: stadtfluss-json";

/** µs of one observation: the row's time per operation over the observations it produced. */
const microsPerObservation = (r: RowResult) =>
  r.observations === undefined ? undefined : 1e6 / r.measured.opsPerSecond / r.observations;

/**
 * Each decoder row's cost per observation against stadtfluss-json's in the same
 * run (the goal: at most 2×). Codecs in the sandbox are reported apart.
 */
export function perObservationTable(rows: readonly RowResult[]): string {
  const reference = rows.find((r) => r.stage === REFERENCE_DECODER);
  const lines = ["| decoder | input | µs per observation | ÷ stadtfluss-json |", "| --- | --- | ---: | ---: |"];
  for (const r of rows) {
    const micros = microsPerObservation(r);
    if (micros === undefined) continue;
    const referenceMicros = reference && microsPerObservation(reference);
    const byMicros = referenceMicros ? (micros / referenceMicros).toFixed(2) : "–";
    lines.push(
      `| ${r.stage.replace("decode + convert + validate: ", "")} | ${r.input} | ${micros.toFixed(2)} | ${byMicros} |`,
    );
  }
  return lines.join("\n");
}

export function markdownTable(rows: readonly RowResult[]): string {
  const lines = [
    "| stage | input | ops/s | ± | baseline | baseline ops/s | ops/s ÷ baseline | cost in baselines |",
    "| --- | --- | ---: | ---: | --- | ---: | ---: | ---: |",
  ];
  for (const r of rows) {
    lines.push(
      `| ${r.stage} | ${r.input} | ${number(r.measured.opsPerSecond)} | ${r.measured.rmePercent.toFixed(1)} % | ${r.baseline} | ${number(r.baselineMeasured.opsPerSecond)} | ${r.ratio.toFixed(3)} | ${r.costInBaselines.toFixed(1)} |`,
    );
  }
  return lines.join("\n");
}

export function wholeStageTable(rows: readonly WholeStageResult[]): string {
  const lines = [
    "| worker, whole stage, CPU only | batch | messages/s per core | ± | baseline | baseline per message/s | ÷ baseline | cost in baselines |",
    "| --- | --- | ---: | ---: | --- | ---: | ---: | ---: |",
  ];
  for (const r of rows) {
    lines.push(
      `| **${r.stage}** | ${r.input} | **${number(r.measured.opsPerSecond)}** | ${r.measured.rmePercent.toFixed(1)} % | ${r.baseline} | ${number(r.baselineMeasured.opsPerSecond)} | ${r.ratio.toFixed(3)} | ${r.costInBaselines.toFixed(1)} |`,
    );
  }
  return lines.join("\n");
}

export function markdownReport(run: CpuBenchRun): string {
  const m = run.machine;
  return [
    "# CPU benchmark per stage",
    "",
    `${run.date}: ${m.cpu}, ${m.cores} cores, Node ${m.node}, ${m.platform}; ${
      m.pinnedToCore === undefined ? "one thread, not pinned" : `pinned to core ${m.pinnedToCore}`
    }; ${run.timePerTaskMs} ms per task after warm-up (tinybench).`,
    "",
    "ops/s from the median time of one operation; ± is the relative margin of error of the mean. Each baseline",
    "runs right after its row on the same bytes or object: compare runs by the ratio, not by ops/s.",
    "",
    "## Whole stage, CPU only: each worker's bound",
    "",
    "Each worker's whole path for a batch of messages, in memory, from the bytes it reads off its sockets to the",
    "bytes it writes to them, with kafkajs's own codec (record batches, varints, headers, CRC32C): the messages/s",
    "one core could carry if nothing waited on the network. A stage's throughput in `pnpm bench:e2e` is",
    "compared with this bound. The baseline is JSON.parse of the same batch's payloads, reported per message.",
    "",
    wholeStageTable(run.wholeStages),
    "",
    ...run.wholeStages.map((r) => `- **${r.stage}**: ${r.includes}`),
    "",
    "## Per stage",
    "",
    markdownTable(run.rows),
    "",
    "## Per observation, each decoder against stadtfluss-json",
    "",
    perObservationTable(run.rows),
    "",
  ].join("\n");
}

/** `cpu-<date>.json` for the record, `cpu-latest.md` for people. */
export function writeResults(run: CpuBenchRun, out: string): string {
  mkdirSync(out, { recursive: true });
  // Colons are not allowed in file names everywhere.
  const jsonPath = join(out, `cpu-${run.date.replaceAll(":", "-")}.json`);
  writeFileSync(jsonPath, `${JSON.stringify(run, null, 2)}\n`);
  writeFileSync(join(out, "cpu-latest.md"), markdownReport(run));
  return jsonPath;
}
