import { readFileSync } from "node:fs";
import { ConfigError } from "@stadtfluss/errors";
import { parse } from "yaml";
import { z } from "zod";

/**
 * What storage the declaration asks for: databases with their retention, and
 * principals (readers and writers) with the databases each may read or write.
 */
export interface DesiredStorage {
  readonly databases: ReadonlyArray<{
    readonly name: string;
    readonly retentionMs: number | null /* null = infinite */;
  }>;
  readonly principals: ReadonlyArray<{
    readonly name: string;
    readonly read: readonly string[];
    readonly write: readonly string[];
  }>;
}

const name = z.string().min(1, "must not be empty");

const desiredStorageSchema = z.object({
  databases: z.array(
    z.strictObject({
      name,
      retentionMs: z.number().int().nullable(),
    }),
  ),
  principals: z.array(
    z.strictObject({
      name,
      read: z.array(name).default([]),
      write: z.array(name).default([]),
    }),
  ),
});

/**
 * The desired storage from a JSON or YAML file of exactly the DesiredStorage
 * shape. The registry declaration (tenants, classes, readers) is meant to
 * produce the same value; until it does, this file is the declaration.
 */
export function loadDesiredStorage(path: string): DesiredStorage {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new ConfigError([`${path}: cannot read (${(error as NodeJS.ErrnoException).code ?? "error"})`]);
  }
  let document: unknown;
  try {
    document = parse(text);
  } catch (error) {
    throw new ConfigError([`${path}: not YAML or JSON (${(error as Error).message.split("\n")[0]})`]);
  }
  const result = desiredStorageSchema.safeParse(document);
  if (!result.success)
    throw new ConfigError(
      result.error.issues.map((issue) => `${path}: ${issue.path.join(".") || "document"}: ${issue.message}`),
    );
  return result.data;
}
