import { randomBytes } from "node:crypto";
import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Secret } from "@stadtfluss/config";

/** A password for a new user: 192 random bits, URL-safe so it fits `user:password` tokens. */
export function generatePassword(): Secret {
  return new Secret(randomBytes(24).toString("base64url"));
}

/**
 * Writes `<dir>/<user>.token` holding `user:password`: what 1.8's `/api/v2/write`
 * and the services' INFLUX_TOKEN_FILE take. Readable by the owner only (0600,
 * also when the file existed), in a folder only the owner can list.
 */
export function writeCredentialFile(dir: string, user: string, password: Secret): string {
  if (!isCredentialFileName(user)) throw new Error(`cannot name a credential file after user ${JSON.stringify(user)}`);
  return writeSecretFile(dir, `${user}.token`, new Secret(`${user}:${password.reveal()}`));
}

/**
 * Writes `<dir>/<name>` holding the secret and a newline, 0600, in a folder created
 * 0700. Through a new file renamed over the old one: an existing file with looser
 * permissions never holds the new secret, not even for a moment.
 */
export function writeSecretFile(dir: string, name: string, content: Secret): string {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const path = join(dir, name);
  const fresh = join(dir, `.${name}.${randomBytes(6).toString("hex")}`);
  writeFileSync(fresh, `${content.reveal()}\n`, { mode: 0o600, flag: "wx" });
  renameSync(fresh, path);
  return path;
}

/** A user name that is safe as a file name in the credentials folder. */
export function isCredentialFileName(user: string): boolean {
  return /^[A-Za-z0-9_.-]+$/.test(user) && !user.startsWith(".");
}
