/**
 * `pnpm run audit -- --from 24h [--to <time>] [--tenant <t>] [--device <id>] [--json]`
 *
 * Reads the sequence numbers stored in InfluxDB and reports, per device, the gaps
 * and duplicates. Exits 1 when anything is missing, so a scheduled run can alert.
 */
import { parseArgs } from "node:util";
import { loadOrExit } from "@stadtfluss/config";
import { influxQL } from "@stadtfluss/influx";
import { kinds } from "@stadtfluss/schemas";
import { loadConfig } from "./config.ts";
import { auditSequences, type SequencePoint } from "./sequence-audit.ts";
import { parseInstant } from "./time-range.ts";

const usage =
  "usage: pnpm run audit -- --from <ISO time | 24h | 7d> [--to <time>] [--tenant <id>] [--device <id>] [--json]";

let args: ReturnType<typeof parse>;
let from: Date;
let to: Date;
try {
  args = parse();
  const now = new Date();
  if (!args.from) throw new Error("--from is required");
  from = parseInstant(args.from, now);
  to = args.to ? parseInstant(args.to, now) : now;
  if (from >= to) throw new Error("--from must be before --to");
} catch (error) {
  process.stderr.write(`audit: ${(error as Error).message}\n${usage}\n`);
  process.exit(2);
}

const settings = loadOrExit("audit", () => loadConfig(process.env));
const quote = (text: string) => `'${text.replaceAll("\\", "\\\\").replaceAll("'", "\\'")}'`;
const measurements = [...new Set(Object.keys(kinds).map((kind) => kind.split(".")[0]))].map((m) => `"${m}"`);
const conditions = [
  `time >= ${quote(from.toISOString())}`,
  `time < ${quote(to.toISOString())}`,
  ...(args.tenant ? [`"tenant" = ${quote(args.tenant)}`] : []),
  ...(args.device ? [`"device" = ${quote(args.device)}`] : []),
];
const [series = []] = await influxQL(
  settings,
  `SELECT "seq" FROM ${measurements.join(",")} WHERE ${conditions.join(" AND ")} GROUP BY "device"`,
);

const points: SequencePoint[] = series.flatMap((s) =>
  s.values
    .filter((row) => typeof row[1] === "number")
    .map((row) => ({ device: s.tags?.device ?? "", time: Number(row[0]), seq: row[1] as number })),
);
const audits = auditSequences(points);
const missing = audits.reduce((sum, a) => sum + a.missing, 0);

if (args.json) {
  process.stdout.write(`${JSON.stringify({ from, to, devices: audits, missing }, null, 2)}\n`);
} else {
  const rows = audits.map((a) => [
    a.device,
    String(a.messages),
    `${a.firstSeq}…${a.lastSeq}`,
    String(a.missing),
    a.gaps
      .slice(0, 3)
      .map(([g1, g2]) => (g1 === g2 ? `${g1}` : `${g1}-${g2}`))
      .join(" ") + (a.gaps.length > 3 ? " …" : ""),
    a.duplicates.length > 0 ? a.duplicates.slice(0, 5).join(" ") + (a.duplicates.length > 5 ? " …" : "") : "",
    String(a.restarts),
  ]);
  const header = ["device", "messages", "seq", "missing", "gaps", "duplicates", "restarts"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  for (const row of [header, ...rows])
    process.stdout.write(`${row.map((c, i) => c.padEnd(widths[i] ?? 0)).join("  ")}\n`);
  process.stdout.write(
    `\n${audits.length} devices, ${points.length > 0 ? audits.reduce((s, a) => s + a.messages, 0) : 0} messages from ${from.toISOString()} to ${to.toISOString()}: ${missing} missing, ${audits.reduce((s, a) => s + a.duplicates.length, 0)} duplicated.\n`,
  );
}
process.exit(missing > 0 ? 1 : 0);

function parse() {
  return parseArgs({
    options: {
      from: { type: "string" },
      to: { type: "string" },
      tenant: { type: "string" },
      device: { type: "string" },
      json: { type: "boolean", default: false },
    },
    strict: true,
  }).values;
}
