/**
 * `pnpm platform plan|apply --declaration <file> [--credentials-dir <dir>] [--allow-destructive]`
 *
 * Makes InfluxDB 1.x match the declared storage: databases with their
 * retention, one user per principal with exactly its grants (InfluxDB 2.x with
 * INFLUX_API_VERSION=2: buckets, DBRP mappings and tokens, `influx2/`). `plan` prints
 * what would change ("in sync" when nothing would); `apply` runs it, refuses
 * destructive steps without --allow-destructive, writes the passwords of
 * users it creates to 0600 files and checks that a plan afterwards is empty.
 */
import { parseArgs } from "node:util";
import { loadOrExit } from "@stadtfluss/config";
import { StadtflussError } from "@stadtfluss/errors";
import { applyPlan } from "./apply.ts";
import { loadConfig } from "./config.ts";
import { readCurrentStorage } from "./current-storage.ts";
import { loadDesiredStorage } from "./desired-storage.ts";
import { runInflux2Command } from "./influx2/command.ts";
import { loadInflux2Config } from "./influx2/config.ts";
import { migrateCommand } from "./migrate-command.ts";
import { describeStep, type PlanOptions, plan } from "./plan.ts";

const usage =
  "usage: pnpm platform plan|apply --declaration <file> [--credentials-dir <dir>] [--allow-destructive]\n       pnpm platform migrate --declaration <file> --from <database> [--chunk <duration>] [--apply]";

// `migrate` copies the single-bucket layout into the declared databases (migrate-command.ts).
if (process.argv[2] === "migrate") {
  // 2.x answers InfluxQL read-only: SELECT INTO, which the migration is made of, does not run there.
  if (process.env.INFLUX_API_VERSION === "2") {
    process.stderr.write(
      "platform: migrate copies with InfluxQL's SELECT INTO, which InfluxDB 2.x does not run; copy with Flux's to() or replay from Kafka (docs/tenants.md)\n",
    );
    process.exit(1);
  }
  await migrateCommand(process.argv.slice(3));
}

let command: "plan" | "apply";
let args: ReturnType<typeof parse>["values"];
try {
  const parsed = parse();
  args = parsed.values;
  const [verb, ...rest] = parsed.positionals;
  if (verb !== "plan" && verb !== "apply")
    throw new Error(verb === undefined ? "plan or apply?" : `unknown command ${verb}`);
  if (rest.length > 0) throw new Error(`unexpected ${rest.join(" ")}`);
  if (!args.declaration) throw new Error("--declaration is required");
  command = verb;
} catch (error) {
  process.stderr.write(`platform: ${(error as Error).message}\n${usage}\n`);
  process.exit(2);
}

// InfluxDB 2.x (INFLUX_API_VERSION=2): buckets, DBRP mappings and tokens instead of databases and users.
const influx2 = loadOrExit("platform", () => loadInflux2Config(process.env));
if (influx2) {
  const desired = loadOrExit("platform", () => loadDesiredStorage(args.declaration as string));
  process.exit(
    await runInflux2Command(command, influx2, desired, {
      allowDestructive: args["allow-destructive"] === true,
      ...(args["credentials-dir"] ? { credentialsDir: args["credentials-dir"] } : {}),
      stdout: (text) => process.stdout.write(text),
      stderr: (text) => process.stderr.write(text),
    }),
  );
}

const config = loadOrExit("platform", () => loadConfig(process.env));
const desired = loadOrExit("platform", () => loadDesiredStorage(args.declaration as string));
const options: PlanOptions = { manages: (name) => name !== "_internal" && name.startsWith(config.managedPrefix) };

try {
  const steps = plan(await readCurrentStorage(config.influx), desired, options);
  if (steps.length === 0) {
    process.stdout.write("in sync\n");
    process.exit(0);
  }
  for (const step of steps) process.stdout.write(`${describeStep(step)}\n`);
  if (command === "plan") {
    const destructive = steps.filter((step) => step.destructive).length;
    process.stdout.write(
      `${steps.length} change(s)${destructive > 0 ? `, ${destructive} destructive (apply needs --allow-destructive)` : ""}\n`,
    );
    process.exit(0);
  }
  await applyPlan(config.influx, steps, {
    allowDestructive: args["allow-destructive"] === true,
    ...(args["credentials-dir"] ? { credentialsDir: args["credentials-dir"] } : {}),
    onStep: (_step, file) => {
      if (file) process.stdout.write(`  credential written to ${file}\n`);
    },
  });
  const after = plan(await readCurrentStorage(config.influx), desired, options);
  if (after.length > 0)
    throw new StadtflussError(`still not in sync after apply: ${after.map(describeStep).join("; ")}`);
  process.stdout.write(`applied ${steps.length} change(s); in sync\n`);
} catch (error) {
  process.stderr.write(`platform: ${(error as Error).message}\n`);
  process.exit(1);
}

function parse() {
  return parseArgs({
    options: {
      declaration: { type: "string" },
      "credentials-dir": { type: "string" },
      "allow-destructive": { type: "boolean", default: false },
    },
    allowPositionals: true,
    strict: true,
  });
}
