import { cpus } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { Bench, type Task } from "tinybench";
import { pinToOneCore } from "./one-core.ts";
import {
  type CpuBenchRun,
  type Measurement,
  markdownTable,
  type RowResult,
  type WholeStageResult,
  wholeStageTable,
  writeResults,
} from "./report.ts";
import { stageRows } from "./stage-rows.ts";
import { wholeStageRows } from "./whole-stage-rows.ts";

/**
 * CPU cost per stage on one core: decode + convert + validate per format,
 * observation → line protocol, Kafka encode and decode, each beside a JSON
 * baseline measured in the same run; then each worker's whole path per message
 * (whole-stage-rows.ts), its CPU-only bound. Separate from `pnpm test`.
 * Usage: pnpm bench:cpu [--time 1000] [--unpinned] [--out bench/results]
 */
const { values } = parseArgs({
  options: {
    time: { type: "string", default: "1000" },
    unpinned: { type: "boolean", default: false },
    out: { type: "string", default: join(import.meta.dirname, "../results") },
  },
});

const pinnedToCore = values.unpinned ? undefined : pinToOneCore();
const timePerTaskMs = Number(values.time);
/** Operations per sample: a single one takes about as long as reading the clock. */
const BATCH = 32;

/** `perCall`: operations (or messages) one call of the task function does. */
function measurementOf(task: Task | undefined, perCall = BATCH): Measurement {
  const result = task?.result;
  if (!result || !("latency" in result)) {
    const error = result && "error" in result ? result.error : undefined;
    throw new Error(`${task?.name ?? "a task"} did not complete`, { cause: error });
  }
  return {
    opsPerSecond: (perCall * 1000) / result.latency.p50,
    rmePercent: result.latency.rme,
    samples: result.latency.samplesCount,
  };
}

function batched(run: () => unknown): () => void {
  return () => {
    for (let i = 0; i < BATCH; i++) run();
  };
}

const { rows, dispose } = await stageRows();
const results: RowResult[] = [];
for (const row of rows) {
  // The row and its baseline back to back, so both see the same machine load.
  const bench = new Bench({ time: timePerTaskMs, throws: true })
    .add("row", batched(row.run))
    .add("baseline", batched(row.runBaseline));
  bench.runSync();
  const [task, baselineTask] = bench.tasks;
  const measured = measurementOf(task);
  const baselineMeasured = measurementOf(baselineTask);
  results.push({
    stage: row.stage,
    input: row.input,
    measured,
    baseline: row.baseline,
    baselineMeasured,
    ratio: measured.opsPerSecond / baselineMeasured.opsPerSecond,
    costInBaselines: baselineMeasured.opsPerSecond / measured.opsPerSecond,
  });
  process.stderr.write(`${row.stage}: ${Math.round(measured.opsPerSecond)} ops/s\n`);
}
dispose();

const wholeStages: WholeStageResult[] = [];
for (const row of await wholeStageRows()) {
  // One call is a whole batch (milliseconds), so no batching of calls; kafkajs's codec is async.
  const bench = new Bench({ time: timePerTaskMs, throws: true }).add("row", row.run).add("baseline", row.runBaseline);
  await bench.run();
  const [task, baselineTask] = bench.tasks;
  const measured = measurementOf(task, row.messagesPerBatch);
  const baselineMeasured = measurementOf(baselineTask, row.messagesPerBatch);
  wholeStages.push({
    stage: row.stage,
    input: row.input,
    includes: row.includes,
    messagesPerBatch: row.messagesPerBatch,
    measured,
    baseline: row.baseline,
    baselineMeasured,
    ratio: measured.opsPerSecond / baselineMeasured.opsPerSecond,
    costInBaselines: baselineMeasured.opsPerSecond / measured.opsPerSecond,
  });
  process.stderr.write(`whole stage, ${row.stage}: ${Math.round(measured.opsPerSecond)} messages/s\n`);
}

const run: CpuBenchRun = {
  date: new Date().toISOString(),
  machine: {
    cpu: cpus()[0]?.model ?? "unknown",
    cores: cpus().length,
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    pinnedToCore,
  },
  timePerTaskMs,
  rows: results,
  wholeStages,
};
process.stdout.write(`${markdownTable(results)}\n\n${wholeStageTable(wholeStages)}\n`);
process.stderr.write(`written ${writeResults(run, values.out)} and cpu-latest.md\n`);
