/**
 * `pnpm run audit -- --from 24h [--to <time>] [--declaration <registry>] [--tenant <t>]
 *   [--device <id>] [--expect-from <seq>] [--expect-to <seq>] [--json]`
 *
 * Reads the sequence numbers stored in InfluxDB and reports, per device (tenant,
 * source and id), the gaps and duplicates, and the devices without a counter,
 * for which nothing can be proven. With --declaration it reads the public and
 * personal databases of each declared tenant (or of --tenant). Exits 1 when anything is missing, so a
 * scheduled run can alert.
 */
import { parseArgs } from "node:util";
import { loadOrExit, parseInstant } from "@stadtfluss/config";
import { DATA_CLASSES, databaseName, loadRegistry } from "@stadtfluss/registry";
import { formatAudit, readAudit } from "./audit-report.ts";
import { loadConfig, loadDeclaredConfig } from "./config.ts";
import type { ExpectedRange } from "./sequence-audit.ts";

const usage =
  "usage: pnpm run audit -- --from <ISO time | 24h | 7d> [--to <time>] [--declaration <registry>] [--tenant <id>] [--device <id>] [--expect-from <seq>] [--expect-to <seq>] [--json]";

let args: ReturnType<typeof parse>;
let from: Date;
let to: Date;
let expected: ExpectedRange;
try {
  args = parse();
  const now = new Date();
  if (!args.from) throw new Error("--from is required");
  from = parseInstant(args.from, now);
  to = args.to ? parseInstant(args.to, now) : now;
  if (from >= to) throw new Error("--from must be before --to");
  const expectFrom = sequenceNumber(args["expect-from"], "--expect-from");
  const expectTo = sequenceNumber(args["expect-to"], "--expect-to");
  if (expectFrom !== undefined && expectTo !== undefined && expectFrom > expectTo)
    throw new Error("--expect-from must not be above --expect-to");
  expected = {
    ...(expectFrom === undefined ? {} : { from: expectFrom }),
    ...(expectTo === undefined ? {} : { to: expectTo }),
  };
} catch (error) {
  process.stderr.write(`audit: ${(error as Error).message}\n${usage}\n`);
  process.exit(2);
}

const { settings, databases } = loadOrExit("audit", () => {
  if (!args.declaration) {
    const settings = loadConfig(process.env);
    return { settings, databases: [settings.database] };
  }
  const settings = loadDeclaredConfig(process.env);
  const declared = loadRegistry(args.declaration).tenants.map((t) => t.id);
  if (args.tenant && !declared.includes(args.tenant)) {
    process.stderr.write(`audit: --tenant ${args.tenant} is not declared in ${args.declaration}\n`);
    process.exit(2);
  }
  // Raw data only: the open class holds aggregates, which carry no sequence numbers.
  const raw = DATA_CLASSES.filter((c) => c !== "open");
  return {
    settings,
    databases: (args.tenant ? [args.tenant] : declared).flatMap((t) => raw.map((c) => databaseName(t, c))),
  };
});
const report = await readAudit(settings, databases, {
  from,
  to,
  ...(args.tenant ? { tenant: args.tenant } : {}),
  ...(args.device ? { device: args.device } : {}),
  expected,
});
process.stdout.write(args.json ? `${JSON.stringify(report, null, 2)}\n` : formatAudit(report));
process.exit(report.missing > 0 ? 1 : 0);

function parse() {
  return parseArgs({
    options: {
      from: { type: "string" },
      to: { type: "string" },
      declaration: { type: "string" },
      tenant: { type: "string" },
      device: { type: "string" },
      "expect-from": { type: "string" },
      "expect-to": { type: "string" },
      json: { type: "boolean", default: false },
    },
    strict: true,
  }).values;
}

function sequenceNumber(text: string | undefined, option: string): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(Number(text)))
    throw new Error(`${option} must be a sequence number (a non-negative integer), not "${text}"`);
  return Number(text);
}
