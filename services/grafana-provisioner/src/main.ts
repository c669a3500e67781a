/**
 * `pnpm grafana plan|apply|prune|export --declaration <registry> --credentials-dir <dir> [--force] [--out <dir>]`
 * (`--without-credentials` instead of `--credentials-dir` for an InfluxDB without authentication;
 * `--url` and `--password-file` instead of GRAFANA_URL and GRAFANA_ADMIN_PASSWORD_FILE)
 *
 * Makes Grafana match the declaration's `grafana` section: one organisation per
 * tenant with its InfluxDB data sources, teams, folders, permissions and
 * dashboards. `plan` prints what would change ("in sync" and exit 0 when
 * nothing would, exit 2 when something would); `apply` creates and changes,
 * overwriting a dashboard changed by hand only with --force; `prune` deletes
 * what the provisioner created and no longer declares; `export` writes Grafana's
 * file provisioning instead (no Grafana needed).
 */
import { parseArgs } from "node:util";
import { loadOrExit } from "@stadtfluss/config";
import { createGrafanaClient } from "@stadtfluss/grafana-openapi-client";
import { loadConfig } from "./config.ts";
import { loadDesiredState } from "./desired-state.ts";
import { exportProvisioning } from "./export.ts";
import { applyCommand, planCommand, pruneCommand } from "./provisioner.ts";

const usage =
  "usage: pnpm grafana plan|apply|prune [--url <grafana> --password-file <file>] --declaration <registry> --credentials-dir <dir>|--without-credentials [--force]\n       pnpm grafana export --declaration <registry> --credentials-dir <dir>|--without-credentials --out <dir>";
const EXIT_USAGE = 64;

let command: "plan" | "apply" | "prune" | "export";
let args: ReturnType<typeof parse>["values"];
try {
  const parsed = parse();
  args = parsed.values;
  const [verb, ...rest] = parsed.positionals;
  if (verb !== "plan" && verb !== "apply" && verb !== "prune" && verb !== "export")
    throw new Error(verb === undefined ? "plan, apply, prune or export?" : `unknown command ${verb}`);
  if (rest.length > 0) throw new Error(`unexpected ${rest.join(" ")}`);
  if (!args.declaration) throw new Error("--declaration is required");
  if (!args["credentials-dir"] === !args["without-credentials"])
    throw new Error(
      "--credentials-dir (where pnpm platform apply wrote the readers' credentials) or --without-credentials (an InfluxDB without authentication) is required",
    );
  if (verb === "export" && !args.out) throw new Error("--out is required for export");
  command = verb;
} catch (error) {
  process.stderr.write(`grafana-provisioner: ${(error as Error).message}\n${usage}\n`);
  process.exit(EXIT_USAGE);
}

const desired = loadOrExit("grafana-provisioner", () =>
  loadDesiredState(args.declaration as string, args["credentials-dir"]),
);
const stdout = (line: string) => process.stdout.write(`${line}\n`);

try {
  if (command === "export") {
    const files = exportProvisioning(desired, args.out as string);
    for (const file of files) stdout(`wrote ${file}`);
    stdout("file provisioning has no teams and no folder permissions: apply sets those");
    process.exit(0);
  }
  // The flags are the settings under shorter names, checked by the same schema.
  const config = loadOrExit("grafana-provisioner", () =>
    loadConfig({
      ...process.env,
      ...(args.url === undefined ? {} : { GRAFANA_URL: args.url }),
      ...(args["password-file"] === undefined ? {} : { GRAFANA_ADMIN_PASSWORD_FILE: args["password-file"] }),
    }),
  );
  const options = {
    grafana: (orgId?: number) =>
      createGrafanaClient({
        url: config.url,
        credential: { kind: "basic", user: config.user, password: config.password },
        ...(orgId === undefined ? {} : { orgId }),
      }),
    force: args.force === true,
    stdout,
  };
  const run = { plan: planCommand, apply: applyCommand, prune: pruneCommand }[command];
  process.exit(await run(desired, options));
} catch (error) {
  process.stderr.write(`grafana-provisioner: ${(error as Error).message}\n`);
  process.exit(1);
}

function parse() {
  return parseArgs({
    options: {
      declaration: { type: "string" },
      "credentials-dir": { type: "string" },
      "without-credentials": { type: "boolean", default: false },
      out: { type: "string" },
      url: { type: "string" },
      "password-file": { type: "string" },
      force: { type: "boolean", default: false },
    },
    allowPositionals: true,
    strict: true,
  });
}
