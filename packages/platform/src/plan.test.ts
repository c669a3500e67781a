import { describe, expect, it } from "vitest";
import type { CurrentStorage } from "./current-storage.ts";
import type { DesiredStorage } from "./desired-storage.ts";
import { describeStep, PlanError, plan } from "./plan.ts";

const HOUR = 3_600_000;
const YEAR = 365 * 24 * HOUR;

const desired: DesiredStorage = {
  databases: [
    { name: "musterstadt_public", retentionMs: 5 * YEAR },
    { name: "musterstadt_open", retentionMs: null },
  ],
  principals: [
    { name: "musterstadt_planners", read: ["musterstadt_public"], write: [] },
    { name: "writer", read: [], write: ["musterstadt_public", "musterstadt_open"] },
    { name: "aggregator", read: ["musterstadt_public", "musterstadt_open"], write: ["musterstadt_open"] },
  ],
};

const inSync: CurrentStorage = {
  databases: [
    { name: "_internal", defaultPolicy: { name: "monitor", retentionMs: 7 * 24 * HOUR } },
    { name: "musterstadt_public", defaultPolicy: { name: "autogen", retentionMs: 5 * YEAR } },
    { name: "musterstadt_open", defaultPolicy: { name: "autogen", retentionMs: null } },
  ],
  users: [
    { name: "admin", admin: true, grants: [] },
    { name: "musterstadt_planners", admin: false, grants: [{ database: "musterstadt_public", privilege: "READ" }] },
    {
      name: "writer",
      admin: false,
      grants: [
        { database: "musterstadt_public", privilege: "WRITE" },
        { database: "musterstadt_open", privilege: "WRITE" },
      ],
    },
    {
      name: "aggregator",
      admin: false,
      grants: [
        { database: "musterstadt_public", privilege: "READ" },
        { database: "musterstadt_open", privilege: "ALL" },
      ],
    },
  ],
};

const withDatabase = (name: string, retentionMs: number | null): CurrentStorage => ({
  ...inSync,
  databases: inSync.databases.map((d) =>
    d.name === name ? { ...d, defaultPolicy: { name: "autogen", retentionMs } } : d,
  ),
});

describe("plan", () => {
  it("on an empty server creates the databases, then the users, then exactly their grants", () => {
    const steps = plan({ databases: [], users: [{ name: "admin", admin: true, grants: [] }] }, desired);
    expect(steps).toEqual([
      { kind: "create-database", database: "musterstadt_public", retentionMs: 5 * YEAR, destructive: false },
      { kind: "create-database", database: "musterstadt_open", retentionMs: null, destructive: false },
      { kind: "create-user", user: "musterstadt_planners", destructive: false },
      { kind: "create-user", user: "writer", destructive: false },
      { kind: "create-user", user: "aggregator", destructive: false },
      ...[
        ["musterstadt_planners", "musterstadt_public", "READ"],
        ["writer", "musterstadt_public", "WRITE"],
        ["writer", "musterstadt_open", "WRITE"],
        ["aggregator", "musterstadt_public", "READ"],
        ["aggregator", "musterstadt_open", "ALL"],
      ].map(([user, database, privilege]) => ({
        kind: "grant",
        user,
        database,
        privilege,
        from: null,
        destructive: false,
      })),
    ]);
  });

  it("is empty when the server matches, leaving InfluxDB's _internal and the admin alone", () => {
    expect(plan(inSync, desired)).toEqual([]);
  });

  it("lengthens a retention without the flag, and marks a shorter one destructive", () => {
    expect(plan(withDatabase("musterstadt_public", 4 * YEAR), desired)).toEqual([
      {
        kind: "set-retention",
        database: "musterstadt_public",
        policy: "autogen",
        fromMs: 4 * YEAR,
        toMs: 5 * YEAR,
        destructive: false,
      },
    ]);
    expect(plan(withDatabase("musterstadt_public", 6 * YEAR), desired)).toMatchObject([
      { kind: "set-retention", fromMs: 6 * YEAR, toMs: 5 * YEAR, destructive: true },
    ]);
    expect(plan(withDatabase("musterstadt_public", null), desired)).toMatchObject([
      { kind: "set-retention", fromMs: null, toMs: 5 * YEAR, destructive: true },
    ]);
    expect(plan(withDatabase("musterstadt_open", YEAR), desired)).toMatchObject([
      { kind: "set-retention", fromMs: YEAR, toMs: null, destructive: false },
    ]);
  });

  it("creates a default retention policy where a database has none", () => {
    const current = {
      ...inSync,
      databases: inSync.databases.map((d) => (d.name === "musterstadt_open" ? { ...d, defaultPolicy: null } : d)),
    };
    expect(plan(current, desired)).toEqual([
      {
        kind: "set-retention",
        database: "musterstadt_open",
        policy: null,
        fromMs: null,
        toMs: null,
        destructive: false,
      },
    ]);
  });

  it("drops an undeclared database only as a destructive step, and only one it manages", () => {
    const current = {
      ...inSync,
      databases: [...inSync.databases, { name: "old_bucket", defaultPolicy: { name: "autogen", retentionMs: null } }],
    };
    const steps = plan(current, desired);
    expect(steps).toEqual([{ kind: "drop-database", database: "old_bucket", destructive: true }]);
    expect(steps.map(describeStep)).toEqual([
      "! drop database old_bucket (not declared; every point in it is deleted)  [destructive: needs --allow-destructive]",
    ]);
    expect(plan(current, desired, { manages: (name) => name.startsWith("musterstadt_") })).toEqual([]);
  });

  it("revokes what is no longer declared, changes a privilege in place and drops an undeclared user", () => {
    const current: CurrentStorage = {
      ...inSync,
      users: [
        ...inSync.users.map((u) =>
          u.name === "musterstadt_planners"
            ? { ...u, grants: [...u.grants, { database: "musterstadt_open", privilege: "READ" as const }] }
            : u.name === "aggregator"
              ? {
                  ...u,
                  grants: [
                    { database: "musterstadt_public", privilege: "READ" as const },
                    { database: "musterstadt_open", privilege: "READ" as const },
                  ],
                }
              : u,
        ),
        { name: "former_reader", admin: false, grants: [{ database: "musterstadt_public", privilege: "READ" }] },
        { name: "second_admin", admin: true, grants: [] },
      ],
    };
    const steps = plan(current, desired);
    expect(steps).toEqual([
      {
        kind: "grant",
        user: "aggregator",
        database: "musterstadt_open",
        privilege: "ALL",
        from: "READ",
        destructive: false,
      },
      {
        kind: "revoke",
        user: "musterstadt_planners",
        database: "musterstadt_open",
        privilege: "READ",
        destructive: false,
      },
      { kind: "drop-user", user: "former_reader", destructive: false },
    ]);
    expect(steps.map(describeStep)).toEqual([
      "~ grant ALL on musterstadt_open to aggregator (was READ)",
      "- revoke READ on musterstadt_open from musterstadt_planners",
      "- drop user former_reader (not declared)",
    ]);
  });

  it("gives the same plan whatever order InfluxDB lists databases, users and grants in", () => {
    const leftover: CurrentStorage = {
      databases: [...inSync.databases, { name: "old_b", defaultPolicy: null }, { name: "old_a", defaultPolicy: null }],
      users: [
        ...inSync.users.map((u) =>
          u.name === "aggregator"
            ? {
                ...u,
                grants: [
                  ...u.grants,
                  { database: "old_b", privilege: "READ" as const },
                  { database: "old_a", privilege: "READ" as const },
                ],
              }
            : u,
        ),
        { name: "gone_b", admin: false, grants: [] },
        { name: "gone_a", admin: false, grants: [] },
      ],
    };
    const reversed: CurrentStorage = {
      databases: [...leftover.databases].reverse(),
      users: [...leftover.users].reverse().map((u) => ({ ...u, grants: [...u.grants].reverse() })),
    };
    const lines = (current: CurrentStorage) => plan(current, desired).map(describeStep);
    expect(lines(reversed)).toEqual(lines(leftover));
    expect(lines(leftover).filter((l) => l.startsWith("- revoke"))).toEqual([
      "- revoke READ on old_a from aggregator",
      "- revoke READ on old_b from aggregator",
    ]);
    expect(lines(leftover).filter((l) => l.includes("drop"))).toEqual([
      "- drop user gone_a (not declared)",
      "- drop user gone_b (not declared)",
      "! drop database old_a (not declared; every point in it is deleted)  [destructive: needs --allow-destructive]",
      "! drop database old_b (not declared; every point in it is deleted)  [destructive: needs --allow-destructive]",
    ]);
  });

  it("refuses a declaration it cannot apply, naming every problem", () => {
    const bad: DesiredStorage = {
      databases: [
        { name: "a", retentionMs: 60_000 },
        { name: "a", retentionMs: null },
      ],
      principals: [{ name: "reader", read: ["b"], write: [] }],
    };
    expect(() => plan(inSync, bad)).toThrow(PlanError);
    expect(() => plan(inSync, bad)).toThrow(
      /database a: retention must be at least 1h.*; database a is declared twice; principal reader: database b is not declared/,
    );
    expect(() => plan(inSync, { databases: [], principals: [{ name: "admin", read: [], write: [] }] })).toThrow(
      "principal admin is an InfluxDB admin",
    );
  });
});
