import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError } from "@stadtfluss/errors";
import { afterAll, describe, expect, it } from "vitest";
import { loadDesiredStorage } from "./desired-storage.ts";

const dir = mkdtempSync(join(tmpdir(), "sf-desired-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe("loadDesiredStorage", () => {
  it("reads YAML of the DesiredStorage shape, a principal's missing list being empty", () => {
    const path = file(
      "storage.yaml",
      "databases:\n  - { name: a_public, retentionMs: 3600000 }\n  - { name: a_open, retentionMs: null }\nprincipals:\n  - { name: planners, read: [a_public] }\n",
    );
    expect(loadDesiredStorage(path)).toEqual({
      databases: [
        { name: "a_public", retentionMs: 3_600_000 },
        { name: "a_open", retentionMs: null },
      ],
      principals: [{ name: "planners", read: ["a_public"], write: [] }],
    });
  });

  it("names the file and the path of every problem", () => {
    const path = file("bad.json", JSON.stringify({ databases: [{ name: "a", retention: 1 }], principals: [] }));
    expect(() => loadDesiredStorage(path)).toThrow(ConfigError);
    expect(() => loadDesiredStorage(path)).toThrow(`${path}: databases.0.retentionMs`);
    expect(() => loadDesiredStorage(join(dir, "missing.yaml"))).toThrow("cannot read (ENOENT)");
  });
});
