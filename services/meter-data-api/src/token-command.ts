/**
 * `pnpm --filter @stadtfluss/meter-data-api token create --reader <name> --expires 90d`
 * `pnpm --filter @stadtfluss/meter-data-api token list`
 * `pnpm --filter @stadtfluss/meter-data-api token revoke --id <id>`
 *
 * Manages the utilities' API tokens in METER_TOKENS_FILE (or --tokens-file),
 * checked against the declaration's readers in METER_DECLARATION (or
 * --declaration). `create` prints the token once; only its hash is stored.
 */
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { parseDuration } from "@stadtfluss/config";
import { loadRegistry } from "@stadtfluss/registry";
import { newToken, readTokenFile, writeTokenFile } from "./access/token-store.ts";
import { utilityReaders } from "./access/utility-readers.ts";

const usage = `usage: token create --reader <name> --expires <90d> [--declaration <registry>] [--tokens-file <path>]
       token list [--tokens-file <path>]
       token revoke --id <id> [--tokens-file <path>]`;

function fail(message: string, code = 2): never {
  process.stderr.write(`token: ${message}\n${usage}\n`);
  process.exit(code);
}

let parsed: ReturnType<typeof parse>;
try {
  parsed = parse();
} catch (error) {
  fail((error as Error).message);
}
const [command] = parsed.positionals;
const { values } = parsed;
// pnpm --filter runs in the package's folder; INIT_CWD is where the operator typed the command.
const base = process.env.INIT_CWD ?? process.cwd();
const tokensFile = values["tokens-file"] ?? process.env.METER_TOKENS_FILE;
if (!tokensFile) fail("the tokens file is --tokens-file or METER_TOKENS_FILE", 78);
const tokensPath = resolve(base, tokensFile);
const existing = () => (existsSync(tokensPath) ? readTokenFile(tokensPath, "--tokens-file") : []);

try {
  if (command === "create") {
    const declaration = values.declaration ?? process.env.METER_DECLARATION;
    if (!declaration) fail("the declaration is --declaration or METER_DECLARATION", 78);
    if (!values.reader) fail("--reader is required");
    const readers = utilityReaders(loadRegistry(resolve(base, declaration)));
    const reader = readers.get(values.reader);
    if (!reader)
      fail(
        `${values.reader} is no utility reader in ${declaration} (one that reads exactly one tenant's personal data); declared: ${[...readers.keys()].join(", ") || "none"}`,
      );
    const validMs = values.expires === undefined ? undefined : parseDuration(values.expires);
    if (validMs === undefined || validMs <= 0) fail("--expires must be a duration such as 90d or 12w");
    const now = new Date();
    const { token, record } = await newToken(reader.reader, new Date(now.getTime() + validMs), now);
    writeTokenFile(tokensPath, [...existing(), record]);
    process.stderr.write(
      `token ${record.id} for ${reader.reader} (tenant ${reader.tenant}), valid until ${record.expiresAt}; shown once, store it now:\n`,
    );
    process.stdout.write(`${token}\n`);
  } else if (command === "list") {
    for (const record of existing())
      process.stdout.write(
        `${record.id}\t${record.reader}\tcreated ${record.createdAt}\texpires ${record.expiresAt}\n`,
      );
  } else if (command === "revoke") {
    if (!values.id) fail("--id is required");
    const records = existing();
    if (!records.some((record) => record.id === values.id)) fail(`no token ${values.id} in ${tokensPath}`, 1);
    writeTokenFile(
      tokensPath,
      records.filter((record) => record.id !== values.id),
    );
    process.stderr.write(`token ${values.id} revoked\n`);
  } else {
    fail(command ? `unknown command ${command}` : "a command is required");
  }
} catch (error) {
  // A broken declaration or tokens file names every problem, as at start-up.
  fail((error as Error).message, 78);
}

function parse() {
  return parseArgs({
    allowPositionals: true,
    options: {
      reader: { type: "string" },
      expires: { type: "string" },
      declaration: { type: "string" },
      "tokens-file": { type: "string" },
      id: { type: "string" },
    },
    strict: true,
  });
}
