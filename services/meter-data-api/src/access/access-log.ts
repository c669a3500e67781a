import { createReadStream } from "node:fs";
import { appendFile, mkdir, open } from "node:fs/promises";
import { join } from "node:path";
import { createInterface } from "node:readline";

/** One access: who asked for which meters and which period, and what was answered. */
export interface AccessEntry {
  readonly at: string;
  readonly reader: string;
  readonly tokenId: string;
  readonly method: string;
  readonly path: string;
  readonly meters: readonly string[];
  /** The district a group request named, where it named one. */
  readonly district?: string;
  readonly from?: string;
  readonly to?: string;
  readonly status: number;
  readonly requestId: string;
}

/**
 * An append-only log per reader: `<dir>/<reader>.jsonl`, one JSON object a line.
 * The API only ever appends (`O_APPEND`) and reads; nothing in it rewrites or
 * removes a line. Whoever administers the host can, as with any file: ship the
 * folder to write-once storage where that must be excluded too.
 */
export class AccessLog {
  readonly #dir: string;

  constructor(dir: string) {
    this.#dir = dir;
  }

  /** Creates the folder and checks that it can be written to. */
  async open(): Promise<void> {
    await mkdir(this.#dir, { recursive: true, mode: 0o700 });
    const probe = await open(join(this.#dir, ".writable"), "a", 0o600);
    await probe.close();
  }

  async append(entry: AccessEntry): Promise<void> {
    await appendFile(this.#file(entry.reader), `${JSON.stringify(entry)}\n`, { flag: "a", mode: 0o600 });
  }

  /** The reader's entries from `from` to `to` (inclusive), oldest first, read line by line. */
  async *entries(reader: string, range: { readonly from?: number; readonly to?: number }): AsyncGenerator<AccessEntry> {
    const stream = createReadStream(this.#file(reader), { encoding: "utf8" });
    const missing = new Promise<"missing">((resolve) =>
      stream.once("error", (error: NodeJS.ErrnoException) => {
        if (error.code === "ENOENT") resolve("missing");
      }),
    );
    const ready = new Promise<"ready">((resolve) => stream.once("ready", () => resolve("ready")));
    if ((await Promise.race([missing, ready])) === "missing") return;
    for await (const line of createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY })) {
      if (line.trim() === "") continue;
      const entry = JSON.parse(line) as AccessEntry;
      const at = Date.parse(entry.at);
      if (range.from !== undefined && at < range.from) continue;
      if (range.to !== undefined && at > range.to) continue;
      yield entry;
    }
  }

  #file(reader: string): string {
    // Reader names are lowercase letters, digits and hyphens (the registry's pattern): safe as file names.
    if (!/^[a-z0-9-]+$/.test(reader)) throw new Error(`reader name ${JSON.stringify(reader)} cannot name a file`);
    return join(this.#dir, `${reader}.jsonl`);
  }
}
