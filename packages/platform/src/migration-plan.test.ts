import { describe, expect, it } from "vitest";
import {
  classOfPrivacy,
  countStatement,
  MigrationError,
  planMigration,
  retentionMargin,
  timeWindows,
} from "./migration-plan.ts";

const DAY = 86_400_000;
const now = Date.parse("2030-06-01T12:00:00Z");
const targets = new Map([
  ["musterstadt_public", { policy: "autogen", retentionMs: null }],
  ["musterstadt_personal", { policy: "thirteen-months", retentionMs: 396 * DAY }],
]);

describe("planMigration", () => {
  it("copies each declared tenant's public and personal points from every source policy into the default policy of its database, grouping by every tag", () => {
    const plan = planMigration({
      source: "stadtfluss",
      sourcePolicies: ["autogen", "old"],
      tenants: ["musterstadt"],
      targets,
      now,
    });
    expect(plan.missingTargets).toEqual([]);
    expect(plan.copies.map((copy) => [copy.target, copy.statements])).toEqual([
      [
        "musterstadt_public",
        ["autogen", "old"].map(
          (policy) =>
            `SELECT * INTO "musterstadt_public"."autogen".:MEASUREMENT FROM "stadtfluss"."${policy}"./.*/ WHERE "tenant" = 'musterstadt' AND "privacy" = 'public' GROUP BY *`,
        ),
      ],
      [
        "musterstadt_personal",
        ["autogen", "old"].map(
          (policy) =>
            `SELECT * INTO "musterstadt_personal"."thirteen-months".:MEASUREMENT FROM "stadtfluss"."${policy}"./.*/ WHERE "tenant" = 'musterstadt' AND ("privacy" = 'personal' OR "privacy" = '') AND time >= '2029-05-02T12:00:00.000Z' GROUP BY *`,
        ),
      ],
    ]);
  });

  it("keeps points a target's retention would refuse out of the copy, with a margin, and counts them by the complementary condition", () => {
    const [, personal] = planMigration({
      source: "s",
      sourcePolicies: ["autogen"],
      tenants: ["musterstadt"],
      targets,
      now,
    }).copies;
    expect(personal?.since).toBe(now - 396 * DAY + DAY);
    expect(personal?.beyondRetention).toBe(
      `"tenant" = 'musterstadt' AND ("privacy" = 'personal' OR "privacy" = '') AND time < '2029-05-02T12:00:00.000Z'`,
    );
    expect(retentionMargin(2 * 3_600_000)).toBe(3_600_000);
  });

  it("lists the targets that do not exist yet instead of guessing their retention", () => {
    const plan = planMigration({
      source: "s",
      sourcePolicies: ["autogen"],
      tenants: ["nachbarstadt", "musterstadt"],
      targets,
      now,
    });
    expect(plan.missingTargets).toEqual(["nachbarstadt_public", "nachbarstadt_personal"]);
    expect(plan.copies.map((copy) => [copy.target, copy.targetPolicy])).toEqual([
      ["musterstadt_public", "autogen"],
      ["musterstadt_personal", "thirteen-months"],
      ["nachbarstadt_public", undefined],
      ["nachbarstadt_personal", undefined],
    ]);
  });

  it("quotes every identifier and string it puts into InfluxQL", () => {
    const [copy] = planMigration({
      source: 'old "db"',
      sourcePolicies: ["it's"],
      tenants: ["stadtwerke-musterstadt"],
      targets: new Map(),
      now,
    }).copies;
    expect(copy?.statements).toEqual([
      `SELECT * INTO "stadtwerke-musterstadt_public"."autogen".:MEASUREMENT FROM "old \\"db\\""."it's"./.*/ WHERE "tenant" = 'stadtwerke-musterstadt' AND "privacy" = 'public' GROUP BY *`,
    ]);
    expect(countStatement("a'b", "autogen", undefined, ["tenant", "privacy"])).toBe(
      `SELECT count(*) FROM "a'b"."autogen"./.*/ GROUP BY "tenant", "privacy"`,
    );
  });

  it("refuses a source that is one of the targets, or that has no retention policy", () => {
    expect(() =>
      planMigration({
        source: "musterstadt_public",
        sourcePolicies: ["autogen"],
        tenants: ["musterstadt"],
        targets,
        now,
      }),
    ).toThrow(MigrationError);
    expect(() => planMigration({ source: "s", sourcePolicies: [], tenants: ["musterstadt"], targets, now })).toThrow(
      /no retention policy/,
    );
  });
});

describe("chunked copies", () => {
  const HOUR = 3_600_000;

  it("cut the time between the first and last point at multiples of the chunk, open at both ends so that no point falls outside", () => {
    expect(timeWindows(null, { ms: 10 * HOUR, first: 3 * HOUR, last: 25 * HOUR })).toEqual([
      { from: null, to: 10 * HOUR },
      { from: 10 * HOUR, to: 20 * HOUR },
      { from: 20 * HOUR, to: null },
    ]);
    expect(timeWindows(null, undefined)).toEqual([{ from: null, to: null }]);
    expect(timeWindows(null, { ms: 10 * HOUR, first: 3 * HOUR, last: 3 * HOUR })).toEqual([{ from: null, to: null }]);
  });

  it("start at the retention cut-off, never before it", () => {
    expect(timeWindows(12 * HOUR, { ms: 10 * HOUR, first: 3 * HOUR, last: 25 * HOUR })).toEqual([
      { from: 12 * HOUR, to: 20 * HOUR },
      { from: 20 * HOUR, to: null },
    ]);
  });

  it("are one statement per source policy and window, the condition counted against the target unchanged", () => {
    const [copy] = planMigration({
      source: "s",
      sourcePolicies: ["autogen"],
      tenants: ["musterstadt"],
      targets,
      now,
      chunk: { ms: 7 * DAY, first: Date.parse("2030-01-01T00:00:00Z"), last: Date.parse("2030-01-10T00:00:00Z") },
    }).copies;
    const where = `WHERE "tenant" = 'musterstadt' AND "privacy" = 'public'`;
    const into = `SELECT * INTO "musterstadt_public"."autogen".:MEASUREMENT FROM "s"."autogen"./.*/`;
    expect(copy?.statements).toEqual([
      `${into} ${where} AND time < '2030-01-03T00:00:00.000Z' GROUP BY *`,
      `${into} ${where} AND time >= '2030-01-03T00:00:00.000Z' AND time < '2030-01-10T00:00:00.000Z' GROUP BY *`,
      `${into} ${where} AND time >= '2030-01-10T00:00:00.000Z' GROUP BY *`,
    ]);
    expect(copy?.where).toBe(`"tenant" = 'musterstadt' AND "privacy" = 'public'`);
  });
});

describe("classOfPrivacy", () => {
  it("puts a point without a privacy tag into personal, never public, and knows no third class", () => {
    expect(["public", "personal", "", "open"].map(classOfPrivacy)).toEqual([
      "public",
      "personal",
      "personal",
      undefined,
    ]);
  });
});
