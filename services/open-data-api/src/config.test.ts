import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError } from "@stadtfluss/errors";
import { describe, expect, it } from "vitest";
import { loadConfig } from "./config.ts";

const dir = mkdtempSync(join(tmpdir(), "sf-open-config-"));
const declaration = join(dir, "platform.yaml");
writeFileSync(
  declaration,
  [
    "tenants:",
    "  - { id: musterstadt, name: Stadt Musterstadt, kind: municipality, contact: opendata@musterstadt.example }",
    "  - { id: stadtwerke, name: Stadtwerke, kind: utility }",
    "readers:",
    '  - { name: open-data, read: { "*": [open] } }',
    "  - { name: planners, read: { musterstadt: [public] } }",
  ].join("\n"),
);
const base = { INFLUX_URL: "http://127.0.0.1:8086", OPEN_DATA_DECLARATION: declaration };

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return [...error.problems];
    throw error;
  }
  return [];
}

describe("open-data API settings", () => {
  it("publishes the open databases of the tenants its reader reads, with their catalog settings", () => {
    const config = loadConfig({
      ...base,
      OPEN_DATA_CATALOG: JSON.stringify({
        musterstadt: { spatial: "http://dcat-ap.de/def/politicalGeocoding/municipalityKey/146120000000" },
      }),
    });
    expect([...config.tenants.values()].map((t) => [t.id, t.database])).toEqual([
      ["musterstadt", "musterstadt_open"],
      ["stadtwerke", "stadtwerke_open"],
    ]);
    expect(config.tenants.get("musterstadt")?.catalog.spatial).toMatch(/municipalityKey\/146120000000$/);
    expect(config.maxPage).toBe(10_000);
  });

  it("names each bad setting", () => {
    expect(
      problems({
        ...base,
        OPEN_DATA_MAX_PAGE: "0",
        OPEN_DATA_READER: "planners",
      }).join("\n"),
    ).toContain("OPEN_DATA_MAX_PAGE");
    expect(problems({ ...base, OPEN_DATA_READER: "nobody" })).toEqual([
      "OPEN_DATA_READER: nobody is not a declared reader",
    ]);
    expect(problems({ ...base, OPEN_DATA_CATALOG: '{"elsewhere":{}}' })).toEqual([
      "OPEN_DATA_CATALOG: elsewhere is no tenant the reader publishes",
    ]);
    expect(problems({ ...base, OPEN_DATA_DECLARATION: join(dir, "missing.yaml") })[0]).toMatch(
      /^OPEN_DATA_DECLARATION: /,
    );
  });
});
