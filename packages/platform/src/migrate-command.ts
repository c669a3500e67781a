/**
 * `pnpm platform migrate --declaration <registry> --from <old database> [--chunk <duration>] [--apply]`
 *
 * Copies the layout before tenants (every observation in one database, tenant and
 * privacy as tags) into the declared database per tenant and class. Without
 * --apply it prints the InfluxQL it would run; with it, it runs them into the
 * databases `apply` created, then counts source against target and names what
 * it left in the old database (undeclared tenants, points beyond a retention).
 */
import { parseArgs } from "node:util";
import { loadOrExit, parseDuration } from "@stadtfluss/config";
import { loadRegistry } from "@stadtfluss/registry";
import { loadConfig } from "./config.ts";
import { checkMigration, readMigrationInput, readSourceExtent, runMigration, total } from "./migration.ts";
import { planMigration } from "./migration-plan.ts";

const usage =
  "usage: pnpm platform migrate --declaration <registry> --from <old database> [--chunk <duration>] [--apply]";
const HOUR = 3_600_000;

export async function migrateCommand(argv: readonly string[]): Promise<never> {
  let args: { declaration: string; from: string; apply: boolean; chunkMs: number | undefined };
  try {
    const { values, positionals } = parseArgs({
      args: [...argv],
      options: {
        declaration: { type: "string" },
        from: { type: "string" },
        apply: { type: "boolean", default: false },
        chunk: { type: "string" },
      },
      allowPositionals: true,
      strict: true,
    });
    if (positionals.length > 0) throw new Error(`unexpected ${positionals.join(" ")}`);
    if (!values.declaration) throw new Error("--declaration is required");
    if (!values.from) throw new Error("--from (the database of the single-bucket layout) is required");
    const chunkMs = values.chunk === undefined ? undefined : parseDuration(values.chunk);
    if (chunkMs !== undefined && chunkMs < HOUR) throw new Error("--chunk must be at least 1h");
    if (values.chunk !== undefined && chunkMs === undefined)
      throw new Error(`--chunk must be a duration such as 12h, 7d or 4w, not ${JSON.stringify(values.chunk)}`);
    args = { declaration: values.declaration, from: values.from, apply: values.apply === true, chunkMs };
  } catch (error) {
    process.stderr.write(`platform: ${(error as Error).message}\n${usage}\n`);
    process.exit(2);
  }

  const config = loadOrExit("platform", () => loadConfig(process.env));
  const tenants = loadOrExit("platform", () => loadRegistry(args.declaration)).tenants.map((tenant) => tenant.id);
  const out = (line: string) => process.stdout.write(`${line}\n`);
  try {
    const input = await readMigrationInput(config.influx, args.from, tenants, Date.now());
    const extent = args.chunkMs && (await readSourceExtent(config.influx, input.source, input.sourcePolicies));
    const plan = planMigration(extent && args.chunkMs ? { ...input, chunk: { ms: args.chunkMs, ...extent } } : input);
    if (!args.apply) {
      for (const copy of plan.copies) {
        out(
          `-- ${copy.tenant} ${copy.dataClass} → ${copy.target}${copy.targetPolicy ? "" : " (does not exist yet: run apply first)"}`,
        );
        for (const statement of copy.statements) out(`${statement};`);
      }
      out(`${plan.copies.length} copies planned; run again with --apply to copy`);
      process.exit(0);
    }
    await runMigration(config.influx, plan, {
      onStatement: (copy, _statement, written) => out(`copied ${written} point(s) into ${copy.target}`),
    });
    const check = await checkMigration(config.influx, plan, tenants);
    for (const { copy, measurements, beyondRetention } of check.copies) {
      for (const m of measurements)
        out(
          `${m.complete ? "ok" : "MISSING"} ${copy.target} ${m.measurement}: ${total(m.source)} value(s) in ${plan.source}, ${total(m.target)} in ${copy.target}`,
        );
      if (beyondRetention > 0)
        out(
          `left in ${plan.source}: ${beyondRetention} value(s) of ${copy.tenant} ${copy.dataClass} older than ${new Date(copy.since ?? 0).toISOString()}, beyond the retention of ${copy.target}`,
        );
    }
    for (const left of check.leftBehind)
      out(
        `left in ${plan.source}: ${left.values} value(s) of ${
          !tenants.includes(left.tenant)
            ? `tenant ${left.tenant === "" ? "(none)" : left.tenant} (not declared)`
            : `${left.tenant} with privacy ${left.privacy} (no such class)`
        }`,
      );
    if (!check.complete) {
      process.stderr.write("platform: the target holds fewer values than the source (lines marked MISSING)\n");
      process.exit(1);
    }
    out(`migrated from ${plan.source}; every copied value is in its target`);
    process.exit(0);
  } catch (error) {
    process.stderr.write(`platform: ${(error as Error).message}\n`);
    process.exit(1);
  }
}
