import { describe, expect, it } from "vitest";
import { ApplyRefusedError, applyPlan, statementOf } from "./apply.ts";
import type { PlannedStep } from "./plan.ts";

// Refusals happen before the first request: an address nothing listens on proves it.
const nowhere = { url: "http://127.0.0.1:9" };

describe("apply", () => {
  it("refuses a plan with a destructive step without the flag, before running anything", async () => {
    const steps: PlannedStep[] = [
      { kind: "create-database", database: "a", retentionMs: null, destructive: false },
      { kind: "drop-database", database: "old", destructive: true },
    ];
    const refused = applyPlan(nowhere, steps);
    await expect(refused).rejects.toBeInstanceOf(ApplyRefusedError);
    await expect(refused).rejects.toThrow(
      "refusing 1 destructive step(s) without --allow-destructive: ! drop database old (not declared; every point in it is deleted)",
    );
  });

  it("refuses to create users without a folder for their credentials, or under a name unfit for a file", async () => {
    const create = (user: string): PlannedStep => ({ kind: "create-user", user, destructive: false });
    await expect(applyPlan(nowhere, [create("reader")])).rejects.toThrow(/--credentials-dir/);
    await expect(applyPlan(nowhere, [create("../reader")], { credentialsDir: "/tmp" })).rejects.toThrow(
      /to name their credential files: \.\.\/reader/,
    );
  });

  it("quotes every name in the InfluxQL it sends", () => {
    expect(statementOf({ kind: "create-database", database: 'a"b', retentionMs: 3_600_000, destructive: false })).toBe(
      'CREATE DATABASE "a\\"b" WITH DURATION 3600000ms',
    );
    expect(
      statementOf({
        kind: "set-retention",
        database: "a",
        policy: "autogen",
        fromMs: null,
        toMs: 30 * 86_400_000,
        destructive: true,
      }),
    ).toBe('ALTER RETENTION POLICY "autogen" ON "a" DURATION 2592000000ms SHARD DURATION 86400000ms');
    expect(
      statementOf({ kind: "grant", user: "r", database: "a", privilege: "READ", from: null, destructive: false }),
    ).toBe('GRANT READ ON "a" TO "r"');
    expect(statementOf({ kind: "revoke", user: "r", database: "a", privilege: "WRITE", destructive: false })).toBe(
      'REVOKE ALL ON "a" FROM "r"',
    );
  });
});
