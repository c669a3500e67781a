import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { type AccessEntry, AccessLog } from "./access-log.ts";

const entry = (at: string, reader = "sw-metering"): AccessEntry => ({
  at,
  reader,
  tokenId: "0123456789abcdef",
  method: "GET",
  path: "/v1/meters/m1/load-profile",
  meters: ["m1"],
  from: "2026-06-01T00:00:00.000Z",
  to: "2026-06-02T00:00:00.000Z",
  status: 200,
  requestId: "req-1",
});

async function collect(entries: AsyncIterable<AccessEntry>): Promise<AccessEntry[]> {
  const all: AccessEntry[] = [];
  for await (const e of entries) all.push(e);
  return all;
}

describe("the access log", () => {
  it("appends a line per access to the reader's own file and reads it back by time", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sf-access-"));
    const log = new AccessLog(dir);
    await log.open();
    await log.append(entry("2026-06-10T10:00:00.000Z"));
    await log.append(entry("2026-06-10T11:00:00.000Z"));
    await log.append(entry("2026-06-10T11:30:00.000Z", "other-metering"));
    expect(readFileSync(join(dir, "sw-metering.jsonl"), "utf8").trimEnd().split("\n")).toHaveLength(2);
    expect(await collect(log.entries("sw-metering", {}))).toHaveLength(2);
    expect(
      (await collect(log.entries("sw-metering", { from: Date.parse("2026-06-10T10:30:00Z") }))).map((e) => e.at),
    ).toEqual(["2026-06-10T11:00:00.000Z"]);
  });

  it("a reader without accesses has an empty log", async () => {
    const log = new AccessLog(mkdtempSync(join(tmpdir(), "sf-access-")));
    expect(await collect(log.entries("sw-metering", {}))).toEqual([]);
  });

  it("refuses a reader name that is no file name", async () => {
    const log = new AccessLog(mkdtempSync(join(tmpdir(), "sf-access-")));
    await expect(log.append(entry("2026-06-10T10:00:00.000Z", "../x"))).rejects.toThrow(/cannot name a file/);
  });
});
