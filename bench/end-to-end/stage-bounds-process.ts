import { measureWholeStages } from "../cpu/measure.ts";
import { pinToOneCore } from "../cpu/one-core.ts";
import { wholeStageRows } from "../cpu/whole-stage-rows.ts";
import { BOUND_STAGES, type StageBounds } from "./stage-bounds.ts";

/** Child of stage-bounds.ts: the whole-stage rows on one pinned core, as `pnpm bench:cpu` measures them. */
const pinnedToCore = pinToOneCore();
const timePerTaskMs = Number(process.argv[2] ?? 1_000);
const rows = (await wholeStageRows()).filter((row) => (BOUND_STAGES as readonly string[]).includes(row.stage));
const measured = await measureWholeStages(rows, timePerTaskMs);
const bounds: StageBounds = {
  pinnedToCore,
  timePerTaskMs,
  messagesPerSecondPerCore: Object.fromEntries(measured.map((r) => [r.stage, Math.round(r.measured.opsPerSecond)])),
  rows: measured,
};
process.stdout.write(`${JSON.stringify(bounds)}\n`);
