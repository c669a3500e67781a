import { describe, expect, it } from "vitest";
import type { DesiredStorage } from "../desired-storage.ts";
import { PlanError } from "../plan.ts";
import type { Influx2State } from "./current-state.ts";
import { describeInflux2Step, planInflux2 } from "./plan.ts";

const DAY = 86_400_000;

const desired: DesiredStorage = {
  databases: [{ name: "a_public", retentionMs: 30 * DAY }],
  principals: [{ name: "planners", read: ["a_public"], write: [] }],
};

const credential = (id: string, principal: string, bucketID: string) => ({
  id,
  principal,
  active: true,
  createdAt: "2026-01-01T00:00:00Z",
  permissions: [{ action: "read" as const, bucketID }],
});

const inSync: Influx2State = {
  orgID: "0000000000000001",
  buckets: [
    { id: "00000000000000b1", name: "a_public", system: false, retentionMs: 30 * DAY },
    { id: "00000000000000b9", name: "_monitoring", system: true, retentionMs: 7 * DAY },
  ],
  dbrps: [
    {
      id: "00000000000000d1",
      database: "a_public",
      retentionPolicy: "autogen",
      default: true,
      bucketID: "00000000000000b1",
      virtual: false,
    },
  ],
  tokens: [credential("00000000000000a1", "planners", "00000000000000b1")],
  v1Authorizations: [{ ...credential("00000000000000e1", "planners", "00000000000000b1"), user: "planners" }],
  foreignV1Users: ["grafana"],
};

describe("the InfluxDB 2.x plan", () => {
  it("is empty when the organisation holds what is declared, whatever else it holds", () => {
    expect(planInflux2(inSync, desired)).toEqual([]);
  });

  it("does not count a virtual mapping, and replaces one that answers for the database from another bucket", () => {
    const virtualOnly = { ...inSync, dbrps: inSync.dbrps.map((d) => ({ ...d, virtual: true })) };
    expect(planInflux2(virtualOnly, desired).map(describeInflux2Step)).toEqual([
      "+ map database a_public (retention policy autogen, default) to bucket a_public",
    ]);
    const elsewhere: Influx2State = {
      ...inSync,
      buckets: [...inSync.buckets, { id: "00000000000000b2", name: "other", system: false, retentionMs: null }],
      dbrps: inSync.dbrps.map((d) => ({ ...d, bucketID: "00000000000000b2" })),
    };
    expect(planInflux2(elsewhere, desired, { manages: (name) => name !== "other" }).map(describeInflux2Step)).toEqual([
      "- delete DBRP mapping of database a_public (maps a_public/autogen to other)",
      "+ map database a_public (retention policy autogen, default) to bucket a_public",
    ]);
  });

  it("replaces a credential that allows a recreated bucket's old ID, and names what the old one allowed", () => {
    const recreated: Influx2State = {
      ...inSync,
      buckets: inSync.buckets.map((b) => (b.name === "a_public" ? { ...b, id: "00000000000000c1" } : b)),
      dbrps: inSync.dbrps.map((d) => ({ ...d, bucketID: "00000000000000c1" })),
    };
    expect(planInflux2(recreated, desired).map(describeInflux2Step)).toEqual([
      "~ replace API token of planners: a NEW credential (read a_public) replaces the old one (read deleted bucket 00000000000000b1), which is deleted; its permissions cannot change. Hand the new credential file to what uses it",
      "~ replace v1 authorization of planners: a NEW credential (read a_public) replaces the old one (read deleted bucket 00000000000000b1), which is deleted; its permissions cannot change. Hand the new credential file to what uses it",
    ]);
  });

  it("refuses a principal whose v1 user name another authorization holds, a system bucket's name, and retention in fractions of seconds", () => {
    const clash = { ...desired, principals: [{ name: "grafana", read: ["a_public"], write: [] }] };
    expect(() => planInflux2(inSync, clash)).toThrow(PlanError);
    expect(() => planInflux2(inSync, clash)).toThrow(/grafana: a v1 authorization of that user name exists/);
    expect(() =>
      planInflux2(inSync, {
        ...desired,
        databases: [...desired.databases, { name: "_monitoring", retentionMs: null }],
      }),
    ).toThrow(/system bucket/);
    expect(() =>
      planInflux2(inSync, { ...desired, databases: [{ name: "a_public", retentionMs: 3_600_500 }] }),
    ).toThrow("InfluxDB 2.x keeps retention in whole seconds: a_public");
  });

  it("deletes credentials, mappings and buckets no longer declared only where it manages the name", () => {
    const nothing: DesiredStorage = { databases: [], principals: [] };
    expect(planInflux2(inSync, nothing).map(describeInflux2Step)).toEqual([
      "- delete DBRP mapping of database a_public (not declared)",
      "- delete API token of planners (not declared)",
      "- delete v1 authorization of planners (not declared)",
      "! delete bucket a_public (not declared; every point in it is deleted)  [destructive: needs --allow-destructive]",
    ]);
    expect(planInflux2(inSync, nothing, { manages: (name) => name.startsWith("b_") })).toEqual([]);
  });
});
