import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type DisclosureRules, type DistrictCell, isSafe, protectTable } from "./disclosure.ts";

/** The rules written out a second way: what may be known must pass them. */
function mayBeKnown(contributions: readonly number[], rules: DisclosureRules): boolean {
  if (contributions.length < rules.minHouseholds) return false;
  const sorted = [...contributions].sort((a, b) => a - b);
  const total = sorted.reduce((a, b) => a + b, 0);
  let largest = 0;
  for (let i = 0; i < Math.min(rules.dominanceCount, sorted.length); i++) largest += sorted[sorted.length - 1 - i] ?? 0;
  return total <= 0 || largest / total <= rules.dominancePercent / 100;
}

const rulesArbitrary = fc.record({
  minHouseholds: fc.integer({ min: 1, max: 8 }),
  dominanceCount: fc.integer({ min: 1, max: 3 }),
  dominancePercent: fc.integer({ min: 50, max: 99 }),
});

/** Districts of 0 to 12 households; consumption in whole watt-hours, some households far above the rest. */
const tableArbitrary = fc
  .uniqueArray(fc.stringMatching(/^[a-z]{1,6}$/), { minLength: 0, maxLength: 6 })
  .chain((names) =>
    fc.tuple(
      ...names.map((district) =>
        fc.record({
          district: fc.constant(district),
          contributions: fc.array(
            fc.oneof(fc.integer({ min: 0, max: 20_000 }), fc.integer({ min: 0, max: 2_000_000 })),
            { maxLength: 12 },
          ),
        }),
      ),
    ),
  )
  .map((cells) => cells as DistrictCell[]);

describe("disclosure control of household figures", () => {
  it("publishes no figure, alone or derived from the others, that fewer than k households or a dominant few make up", () => {
    fc.assert(
      fc.property(tableArbitrary, rulesArbitrary, (cells, rules) => {
        const table = protectTable(cells, rules);
        const known: number[][] = [];
        for (const cell of cells) {
          const out = table.districts.get(cell.district);
          expect(out).toBeDefined();
          if (out && !out.suppressed) {
            expect(out.value).toBe(cell.contributions.reduce((a, b) => a + b, 0));
            expect(out.households).toBe(cell.contributions.length);
            known.push([...cell.contributions]);
          }
        }
        const all = cells.flatMap((cell) => cell.contributions);
        if (!table.total.suppressed) {
          known.push(all);
          // The total minus the published districts: the suppressed districts together.
          const hidden = cells
            .filter((cell) => table.districts.get(cell.district)?.suppressed)
            .flatMap((cell) => cell.contributions);
          if (hidden.length > 0 || cells.some((cell) => table.districts.get(cell.district)?.suppressed)) {
            known.push(hidden);
          }
        } else if (cells.length > 0 && cells.every((cell) => !table.districts.get(cell.district)?.suppressed)) {
          // The published districts add up to the total.
          known.push(all);
        }
        for (const figure of known) expect(mayBeKnown(figure, rules)).toBe(true);
      }),
      { numRuns: 2_000 },
    );
  });

  it("marks every cell, published or suppressed: none is left out", () => {
    fc.assert(
      fc.property(tableArbitrary, rulesArbitrary, (cells, rules) => {
        const table = protectTable(cells, rules);
        expect([...table.districts.keys()].sort()).toEqual(cells.map((cell) => cell.district).sort());
      }),
    );
  });

  it("suppresses a district of fewer than k households, and a second one so the total does not give it away", () => {
    const many = (n: number, value: number) => Array.from({ length: n }, () => value);
    const table = protectTable(
      [
        { district: "altstadt", contributions: many(8, 10) },
        { district: "hafen", contributions: many(2, 10) },
        { district: "nord", contributions: many(6, 10) },
      ],
      { minHouseholds: 5, dominanceCount: 2, dominancePercent: 85 },
    );
    expect(table.districts.get("hafen")).toEqual({ suppressed: true });
    // nord is the smaller of the published ones: hafen and nord together are 8 households.
    expect(table.districts.get("nord")).toEqual({ suppressed: true });
    expect(table.districts.get("altstadt")).toEqual({ suppressed: false, value: 80, households: 8 });
    expect(table.total).toEqual({ suppressed: false, value: 160, households: 16 });
  });

  it("suppresses a cell one household dominates however many there are", () => {
    expect(isSafe([1_000, 1, 1, 1, 1, 1], { minHouseholds: 5, dominanceCount: 2, dominancePercent: 85 })).toBe(false);
    expect(isSafe([10, 10, 10, 10, 10, 10], { minHouseholds: 5, dominanceCount: 2, dominancePercent: 85 })).toBe(true);
  });
});
