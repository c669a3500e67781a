/**
 * `pnpm mosquitto-files`: Mosquitto's password and ACL files from the platform
 * declaration (the registry), or from an accounts file for a broker kept apart.
 *
 *   pnpm mosquitto-files --declaration infra/registry-example --out /etc/mosquitto/stadtfluss
 *   pnpm mosquitto-files --declaration infra/registry-example --print-acl
 *   pnpm mosquitto-files --accounts accounts.yaml --print-acl
 *
 * Prints which secret files it created, never a password. A bad declaration or
 * accounts file exits 78 naming the problem.
 */
import { parseArgs } from "node:util";
import { readAccountsFile, readDeclaration } from "./accounts-file.ts";
import { aclFile } from "./acl-file.ts";
import { writeMosquittoFiles } from "./write-files.ts";

const EXIT_CONFIG = 78;
const usage =
  "usage: mosquitto-files (--declaration REGISTRY | --accounts FILE) (--out DIR [--secrets DIR] | --print-acl)";

const { values } = parseArgs({
  options: {
    declaration: { type: "string" },
    accounts: { type: "string" },
    out: { type: "string" },
    secrets: { type: "string" },
    "print-acl": { type: "boolean", default: false },
  },
});
const source = values.declaration ?? values.accounts;
if (!source || (values.declaration && values.accounts) || (!values.out && !values["print-acl"])) {
  process.stderr.write(`${usage}\n`);
  process.exit(EXIT_CONFIG);
}

let accounts: ReturnType<typeof readAccountsFile>;
try {
  accounts = values.declaration ? readDeclaration(values.declaration) : readAccountsFile(source);
} catch (error) {
  process.stderr.write(`mosquitto-files: ${(error as Error).message}\n`);
  process.exit(EXIT_CONFIG);
}

if (values["print-acl"]) {
  process.stdout.write(aclFile(accounts, { source }));
} else if (values.out) {
  const files = writeMosquittoFiles(accounts, {
    dir: values.out,
    ...(values.secrets ? { secretsDir: values.secrets } : {}),
  });
  process.stdout.write(`password_file ${files.passwordFile}\nacl_file ${files.aclFile}\n`);
  for (const file of files.createdSecrets) process.stdout.write(`created ${file} (0600)\n`);
}
