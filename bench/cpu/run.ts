import { cpus } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { Bench } from "tinybench";
import { compared, measureWholeStages } from "./measure.ts";
import { pinToOneCore } from "./one-core.ts";
import {
  type CpuBenchRun,
  markdownTable,
  perObservationTable,
  type RowResult,
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
  const result = {
    stage: row.stage,
    input: row.input,
    baseline: row.baseline,
    ...(row.observations === undefined ? {} : { observations: row.observations }),
    ...compared(task, baselineTask, BATCH),
  };
  results.push(result);
  process.stderr.write(`${row.stage}: ${Math.round(result.measured.opsPerSecond)} ops/s\n`);
}
dispose();

const wholeStages = await measureWholeStages(await wholeStageRows(), timePerTaskMs);

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
process.stdout.write(
  `${markdownTable(results)}\n\n${perObservationTable(results)}\n\n${wholeStageTable(wholeStages)}\n`,
);
process.stderr.write(`written ${writeResults(run, values.out)} and cpu-latest.md\n`);
