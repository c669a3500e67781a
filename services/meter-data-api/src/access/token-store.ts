import { createHash, randomBytes, scrypt, timingSafeEqual } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { ConfigError } from "@stadtfluss/errors";
import { z } from "zod";

/**
 * API tokens of the utilities' readers. A token is `sfm_<id>_<secret>`: the id
 * finds its record, the secret is checked against a scrypt hash of it. The file
 * holds only ids, hashes, readers and expiry; the token itself is printed once
 * when it is created and kept nowhere.
 */
export interface TokenRecord {
  readonly id: string;
  readonly reader: string;
  /** `scrypt$<N>$<r>$<p>$<salt>$<hash>`, base64url. */
  readonly hash: string;
  readonly createdAt: string;
  readonly expiresAt: string;
}

const recordSchema = z.object({
  id: z.string().regex(/^[0-9a-f]{16}$/),
  reader: z.string().min(1),
  hash: z.string().regex(/^scrypt\$\d+\$\d+\$\d+\$[A-Za-z0-9_-]+\$[A-Za-z0-9_-]+$/),
  createdAt: z.iso.datetime(),
  expiresAt: z.iso.datetime(),
});
const fileSchema = z.object({ tokens: z.array(recordSchema) });

const TOKEN = /^sfm_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;
// Node's defaults (N 2^14, r 8, p 1): about 50 ms of one core, off the event loop.
const COST = { N: 16_384, r: 8, p: 1 } as const;
const KEY_LENGTH = 32;

function derive(secret: string, salt: Buffer, cost: { N: number; r: number; p: number }): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(secret, salt, KEY_LENGTH, { ...cost, maxmem: 64 * 1024 * 1024 }, (error, key) =>
      error ? reject(error) : resolve(key),
    ),
  );
}

/** A new token for `reader`: the record to store and the token to hand over once. */
export async function newToken(
  reader: string,
  expiresAt: Date,
  now: Date,
): Promise<{ readonly token: string; readonly record: TokenRecord }> {
  const id = randomBytes(8).toString("hex");
  const secret = randomBytes(32).toString("base64url");
  const salt = randomBytes(16);
  const key = await derive(secret, salt, COST);
  return {
    token: `sfm_${id}_${secret}`,
    record: {
      id,
      reader,
      hash: `scrypt$${COST.N}$${COST.r}$${COST.p}$${salt.toString("base64url")}$${key.toString("base64url")}`,
      createdAt: now.toISOString(),
      expiresAt: expiresAt.toISOString(),
    },
  };
}

export type TokenCheck =
  | { readonly ok: true; readonly record: TokenRecord }
  | { readonly ok: false; readonly reason: "malformed" | "unknown" | "wrong" | "expired" };

/** Checks `token` against the records; the secret is compared in constant time. */
export async function checkToken(records: readonly TokenRecord[], token: string, now: Date): Promise<TokenCheck> {
  const match = TOKEN.exec(token);
  if (!match) return { ok: false, reason: "malformed" };
  const [, id, secret] = match as unknown as [string, string, string];
  const record = records.find((r) => r.id === id);
  if (!record) return { ok: false, reason: "unknown" };
  const [, n, r, p, salt, hash] = record.hash.split("$") as [string, string, string, string, string, string];
  const expected = Buffer.from(hash, "base64url");
  const actual = await derive(secret, Buffer.from(salt, "base64url"), { N: Number(n), r: Number(r), p: Number(p) });
  if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) return { ok: false, reason: "wrong" };
  // Expiry after the hash: a wrong secret learns nothing about whether the id's token expired.
  if (Date.parse(record.expiresAt) <= now.getTime()) return { ok: false, reason: "expired" };
  return { ok: true, record };
}

/** The records of the tokens file; a missing or malformed file is a ConfigError naming `setting`. */
export function readTokenFile(path: string, setting: string): TokenRecord[] {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? "error";
    throw new ConfigError([
      `${setting}: cannot read ${path} (${code}); create it with \`pnpm --filter @stadtfluss/meter-data-api token create\``,
    ]);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ConfigError([`${setting}: ${path} is not valid JSON (${(error as Error).message})`]);
  }
  const parsed = fileSchema.safeParse(json);
  if (!parsed.success)
    throw new ConfigError(
      parsed.error.issues.map((issue) => `${setting}: ${path}: ${issue.path.join(".") || "(root)"}: ${issue.message}`),
    );
  return parsed.data.tokens;
}

/** Writes the records through a new file renamed into place, readable by its owner only. */
export function writeTokenFile(path: string, records: readonly TokenRecord[]): void {
  // The first token may come before its folder: made as private as the file.
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const fresh = join(dirname(path), `.tokens.${randomBytes(6).toString("hex")}`);
  writeFileSync(fresh, `${JSON.stringify({ tokens: records }, null, 2)}\n`, { mode: 0o600, flag: "wx" });
  renameSync(fresh, path);
}

/**
 * The tokens file as the running API sees it: read again when it changed, so
 * that a token created or revoked by the CLI counts without a restart.
 */
export class TokenFile {
  readonly #path: string;
  readonly #setting: string;
  #records: TokenRecord[];
  #version: string;

  constructor(path: string, setting: string) {
    this.#path = path;
    this.#setting = setting;
    this.#version = this.#stamp();
    this.#records = readTokenFile(path, setting);
  }

  /** The current records; a file that became unreadable keeps the last good ones. */
  records(onReloadFailed: (error: unknown) => void): readonly TokenRecord[] {
    let stamp: string;
    try {
      stamp = this.#stamp();
    } catch (error) {
      onReloadFailed(error);
      return this.#records;
    }
    if (stamp === this.#version) return this.#records;
    try {
      this.#records = readTokenFile(this.#path, this.#setting);
      this.#version = stamp;
    } catch (error) {
      onReloadFailed(error);
    }
    return this.#records;
  }

  #stamp(): string {
    try {
      const stat = statSync(this.#path);
      return `${stat.ino}:${stat.mtimeMs}:${stat.size}`;
    } catch {
      return "missing";
    }
  }
}

/**
 * checkToken with a short memory of tokens that passed: scrypt costs tens of
 * milliseconds of the thread pool, and a utility's tool sends many requests in
 * a row. Only a digest of a token that passed is kept, for `ttlMs`; expiry and
 * revocation (its record gone from the file) still count at once.
 */
export class TokenChecker {
  readonly #passed = new Map<string, { readonly id: string; readonly hash: string; readonly until: number }>();
  readonly #ttlMs: number;
  readonly #maxEntries: number;

  constructor(options: { readonly ttlMs?: number; readonly maxEntries?: number } = {}) {
    this.#ttlMs = options.ttlMs ?? 60_000;
    this.#maxEntries = options.maxEntries ?? 10_000;
  }

  async check(records: readonly TokenRecord[], token: string, now: Date): Promise<TokenCheck> {
    const digest = createHash("sha256").update(token).digest("base64url");
    const passed = this.#passed.get(digest);
    if (passed && passed.until > now.getTime()) {
      const record = records.find((r) => r.id === passed.id && r.hash === passed.hash);
      if (record && Date.parse(record.expiresAt) > now.getTime()) return { ok: true, record };
    }
    this.#passed.delete(digest);
    const result = await checkToken(records, token, now);
    if (result.ok) {
      if (this.#passed.size >= this.#maxEntries) this.#passed.clear();
      this.#passed.set(digest, { id: result.record.id, hash: result.record.hash, until: now.getTime() + this.#ttlMs });
    }
    return result;
  }
}
