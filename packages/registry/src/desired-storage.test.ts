import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { desiredStorage } from "./desired-storage.ts";
import { loadRegistry } from "./load-registry.ts";
import type { PlatformDeclaration } from "./platform-declaration.ts";

const DAY_MS = 86_400_000;

const declaration: PlatformDeclaration = {
  tenants: [
    {
      id: "stadtwerke",
      name: "Stadtwerke",
      kind: "utility",
      retention: { public: 1827 * DAY_MS, personal: 365 * DAY_MS, open: null },
    },
    {
      id: "musterstadt",
      name: "Musterstadt",
      kind: "municipality",
      retention: { public: 1827 * DAY_MS, personal: 396 * DAY_MS, open: 3650 * DAY_MS },
    },
  ],
  readers: [
    {
      name: "planners",
      read: [
        { tenant: "musterstadt", dataClass: "public" },
        { tenant: "stadtwerke", dataClass: "open" },
      ],
    },
    { name: "metering", read: [{ tenant: "stadtwerke", dataClass: "personal" }] },
    {
      name: "open-data",
      read: [
        { tenant: "stadtwerke", dataClass: "open" },
        { tenant: "musterstadt", dataClass: "open" },
      ],
    },
  ],
};

describe("desiredStorage", () => {
  it("gives every tenant its three databases with their retention", () => {
    expect(desiredStorage(declaration).databases).toEqual([
      { name: "musterstadt_open", retentionMs: 3650 * DAY_MS },
      { name: "musterstadt_personal", retentionMs: 396 * DAY_MS },
      { name: "musterstadt_public", retentionMs: 1827 * DAY_MS },
      { name: "stadtwerke_open", retentionMs: null },
      { name: "stadtwerke_personal", retentionMs: 365 * DAY_MS },
      { name: "stadtwerke_public", retentionMs: 1827 * DAY_MS },
    ]);
  });

  it("lets each reader only read its databases, the writer only write raw data, the aggregator turn raw into open", () => {
    expect(desiredStorage(declaration).principals).toEqual([
      {
        name: "aggregator",
        read: ["musterstadt_personal", "musterstadt_public", "stadtwerke_personal", "stadtwerke_public"],
        write: ["musterstadt_open", "stadtwerke_open"],
      },
      {
        name: "influx-writer",
        read: [],
        write: ["musterstadt_personal", "musterstadt_public", "stadtwerke_personal", "stadtwerke_public"],
      },
      { name: "meter-data-api", read: ["stadtwerke_personal"], write: [] },
      { name: "metering", read: ["stadtwerke_personal"], write: [] },
      { name: "open-data", read: ["musterstadt_open", "stadtwerke_open"], write: [] },
      { name: "planners", read: ["musterstadt_public", "stadtwerke_open"], write: [] },
    ]);
  });

  it("names the writer as told", () => {
    const names = desiredStorage(declaration, { writer: "writer-eu1" }).principals.map((p) => p.name);
    expect(names).toEqual(["aggregator", "meter-data-api", "metering", "open-data", "planners", "writer-eu1"]);
  });

  it("refuses a writer name a reader or the aggregator already has, or that is no principal name", () => {
    expect(() => desiredStorage(declaration, { writer: "planners" })).toThrow(/reader "planners"/);
    expect(() => desiredStorage(declaration, { writer: "aggregator" })).toThrow(/aggregator/);
    expect(() => desiredStorage(declaration, { writer: "Writer 1" })).toThrow(/cannot be the writer's name/);
  });

  it("is the same for the same declaration, whatever the order it was declared in", () => {
    const reversed: PlatformDeclaration = {
      tenants: [...declaration.tenants].reverse(),
      readers: [...declaration.readers].reverse().map((r) => ({ ...r, read: [...r.read].reverse() })),
    };
    expect(desiredStorage(reversed)).toEqual(desiredStorage(declaration));
  });

  it("takes a loaded registry: the example's planners read their town's public data and no meter reading", () => {
    const storage = desiredStorage(loadRegistry(join(import.meta.dirname, "../../../infra/registry-example")));
    expect(storage.databases).toHaveLength(9);
    const reads = (name: string) => storage.principals.find((p) => p.name === name)?.read;
    expect(reads("musterstadt-planners")).toEqual([
      "musterstadt_open",
      "musterstadt_public",
      "stadtwerke-musterstadt_open",
    ]);
    expect(reads("stadtwerke-musterstadt-metering")).toEqual([
      "stadtwerke-musterstadt_open",
      "stadtwerke-musterstadt_personal",
    ]);
    expect(reads("open-data")).toEqual(["musterstadt_open", "nachbarstadt_open", "stadtwerke-musterstadt_open"]);
    const personalReaders = storage.principals.filter((p) => p.read.some((db) => db.endsWith("_personal")));
    // The meter-data API reads the utility's meters only, never a municipality's personal data.
    expect(personalReaders.map((p) => p.name)).toEqual([
      "aggregator",
      "meter-data-api",
      "stadtwerke-musterstadt-metering",
    ]);
    expect(storage.principals.find((p) => p.name === "meter-data-api")?.read).toEqual([
      "stadtwerke-musterstadt_personal",
    ]);
  });
});
