import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError } from "@stadtfluss/errors";
import { repositoryRoot } from "@stadtfluss/testing";
import { afterAll, describe, expect, it } from "vitest";
import { loadDesiredStorage } from "./desired-storage.ts";

const dir = mkdtempSync(join(tmpdir(), "sf-desired-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("loadDesiredStorage", () => {
  it("reads the storage from the registry declaration: each tenant's databases and each reader's grants", () => {
    const storage = loadDesiredStorage(join(repositoryRoot(), "infra", "registry-example"));
    const names = storage.databases.map((d) => d.name);
    expect(names).toContain("musterstadt_public");
    expect(names).toContain("stadtwerke-musterstadt_personal");
    const writer = storage.principals.find((p) => p.name === "influx-writer");
    expect(writer?.read).toEqual([]);
    expect(writer?.write).toContain("musterstadt_public");
  });

  it("refuses a broken declaration with the file and line of every problem", () => {
    const path = join(dir, "broken.yaml");
    writeFileSync(path, "tenants:\n  - { id: Muster_Stadt, name: M, kind: municipality }\n");
    expect(() => loadDesiredStorage(path)).toThrow(ConfigError);
    expect(() => loadDesiredStorage(path)).toThrow(/broken\.yaml:2: /);
  });
});
