import { pbkdf2Sync, randomBytes, timingSafeEqual } from "node:crypto";

/**
 * Mosquitto 2.0's password file format (common/password_mosq.c): one
 * `username:$7$<iterations>$<base64 salt>$<base64 hash>` line per account, the
 * hash PBKDF2-HMAC-SHA512 over the password with a 12-byte salt, 64 bytes long.
 * The broker reads the iteration count from each entry and runs it on every
 * CONNECT; `mosquitto_passwd` uses 101, far below today's advice, so the default
 * here is higher while a login stays in the order of milliseconds.
 */
export const DEFAULT_ITERATIONS = 10_000;
const SALT_BYTES = 12;
const HASH_BYTES = 64;
const ENTRY = /^\$7\$([1-9][0-9]*)\$([A-Za-z0-9+/]+={0,2})\$([A-Za-z0-9+/]+={0,2})$/;

export function hashPassword(password: string, options: { iterations?: number; salt?: Buffer } = {}): string {
  const iterations = options.iterations ?? DEFAULT_ITERATIONS;
  if (!Number.isSafeInteger(iterations) || iterations < 1) throw new Error("iterations must be a positive integer");
  const salt = options.salt ?? randomBytes(SALT_BYTES);
  const hash = pbkdf2Sync(password, salt, iterations, HASH_BYTES, "sha512");
  return `$7$${iterations}$${salt.toString("base64")}$${hash.toString("base64")}`;
}

/** Whether `password` matches a `$7$` entry (the password file's part after the colon). */
export function verifyPassword(password: string, entry: string): boolean {
  const match = ENTRY.exec(entry);
  if (!match) throw new Error("not a Mosquitto $7$ (PBKDF2-SHA512) password entry");
  const [, iterations, salt, hash] = match as unknown as [string, string, string, string];
  const expected = Buffer.from(hash, "base64");
  const actual = pbkdf2Sync(password, Buffer.from(salt, "base64"), Number(iterations), expected.length, "sha512");
  return timingSafeEqual(actual, expected);
}
