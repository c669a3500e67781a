import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { aclFile } from "./acl-file.ts";
import { checkAccounts, type MqttAccounts } from "./mqtt-accounts.ts";
import { DEFAULT_ITERATIONS, hashPassword, verifyPassword } from "./password-hash.ts";

export interface MosquittoFiles {
  readonly passwordFile: string;
  readonly aclFile: string;
  /** Per username, the file holding its password in clear (0600), for the device or the bridge's `passwordFile`. */
  readonly secretFiles: Readonly<Record<string, string>>;
  /** The secret files created by this call; the others already existed or were given. */
  readonly createdSecrets: readonly string[];
}

/**
 * Writes `passwords` and `acl` into `dir` for `password_file` and `acl_file`.
 * A password is read from `passwordFiles[username]` when given, else from
 * `<secretsDir>/<username>.password`, which is created once from
 * crypto.randomBytes (mode 0600) and never overwritten. An entry of the old
 * password file that still matches is kept, so an unchanged declaration leaves
 * both files unchanged. Passwords are neither returned nor logged.
 */
export function writeMosquittoFiles(
  input: MqttAccounts,
  options: {
    dir: string;
    secretsDir?: string;
    passwordFiles?: Readonly<Record<string, string>>;
    iterations?: number;
  },
): MosquittoFiles {
  const { accounts, bridge } = checkAccounts(input);
  const secretsDir = options.secretsDir ?? join(options.dir, "secrets");
  mkdirSync(options.dir, { recursive: true });
  mkdirSync(secretsDir, { recursive: true, mode: 0o700 });
  const passwordFile = join(options.dir, "passwords");
  const previous = existingEntries(passwordFile);

  const secretFiles: Record<string, string> = {};
  const createdSecrets: string[] = [];
  const entries: string[] = [];
  const usernames = [...accounts.map((account) => account.username), bridge.username].sort();
  for (const username of usernames) {
    const given = options.passwordFiles?.[username];
    const file = given ?? join(secretsDir, `${username}.password`);
    if (!given && !existsSync(file)) {
      // `wx`: two runs at once never overwrite a password a device already holds.
      writeFileSync(file, `${randomBytes(24).toString("base64url")}\n`, { mode: 0o600, flag: "wx" });
      createdSecrets.push(file);
    }
    const password = readSecret(file, username);
    const old = previous.get(username);
    entries.push(
      `${username}:${old && verifyPassword(password, old) ? old : hashPassword(password, { iterations: options.iterations ?? DEFAULT_ITERATIONS })}`,
    );
    secretFiles[username] = file;
  }

  replaceFile(passwordFile, `${entries.join("\n")}\n`, 0o600);
  const acl = join(options.dir, "acl");
  replaceFile(acl, aclFile(input), 0o644);
  return { passwordFile, aclFile: acl, secretFiles, createdSecrets };
}

function readSecret(file: string, username: string): string {
  const mode = statSync(file).mode;
  if (mode & 0o077) throw new Error(`${file}: the password of ${username} is readable by others; chmod 600 it`);
  // One trailing newline is how editors and `echo` end a file, never part of the password.
  const password = readFileSync(file, "utf8").replace(/\r?\n$/, "");
  if (password.length === 0 || /[\r\n]/.test(password))
    throw new Error(`${file}: the password of ${username} must be one non-empty line`);
  return password;
}

function existingEntries(passwordFile: string): Map<string, string> {
  if (!existsSync(passwordFile)) return new Map();
  return new Map(
    readFileSync(passwordFile, "utf8")
      .split("\n")
      .filter((line) => line.startsWith("$7$", line.indexOf(":") + 1))
      .map((line) => [line.slice(0, line.indexOf(":")), line.slice(line.indexOf(":") + 1)] as const),
  );
}

/** Through a rename, so that a broker reloading on SIGHUP never reads half a file. */
function replaceFile(file: string, content: string, mode: number): void {
  if (existsSync(file) && readFileSync(file, "utf8") === content) return;
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, content, { mode });
  renameSync(temporary, file);
}
