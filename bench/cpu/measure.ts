import { Bench, type Task } from "tinybench";
import type { Measurement, RowResult, WholeStageResult } from "./report.ts";
import type { WholeStageRow } from "./whole-stage-rows.ts";

/** `perCall`: operations (or messages) one call of the task function does. */
function measurementOf(task: Task | undefined, perCall: number): Measurement {
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

/** A row's task and its baseline's, measured back to back, and how they compare. */
export function compared(
  task: Task | undefined,
  baselineTask: Task | undefined,
  perCall: number,
): Pick<RowResult, "measured" | "baselineMeasured" | "ratio" | "costInBaselines"> {
  const measured = measurementOf(task, perCall);
  const baselineMeasured = measurementOf(baselineTask, perCall);
  return {
    measured,
    baselineMeasured,
    ratio: measured.opsPerSecond / baselineMeasured.opsPerSecond,
    costInBaselines: baselineMeasured.opsPerSecond / measured.opsPerSecond,
  };
}

/**
 * Each whole-stage row and its baseline back to back, so both see the same
 * machine load; shared by `pnpm bench:cpu` and the bounds of `pnpm bench:e2e`.
 */
export async function measureWholeStages(
  rows: readonly WholeStageRow[],
  timePerTaskMs: number,
): Promise<WholeStageResult[]> {
  const results: WholeStageResult[] = [];
  for (const row of rows) {
    // One call is a whole batch (milliseconds), so no batching of calls; kafkajs's codec is async.
    const bench = new Bench({ time: timePerTaskMs, throws: true }).add("row", row.run).add("baseline", row.runBaseline);
    await bench.run();
    const [task, baselineTask] = bench.tasks;
    const result = {
      stage: row.stage,
      input: row.input,
      includes: row.includes,
      messagesPerBatch: row.messagesPerBatch,
      baseline: row.baseline,
      ...compared(task, baselineTask, row.messagesPerBatch),
    };
    results.push(result);
    process.stderr.write(`whole stage, ${row.stage}: ${Math.round(result.measured.opsPerSecond)} messages/s\n`);
  }
  return results;
}
