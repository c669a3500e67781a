/**
 * Statistical disclosure control for figures made of personal data (household
 * meters), as official statistics practise it: a cell is published only if
 * enough households contributed and the largest do not dominate it; otherwise it
 * is suppressed, and suppressed visibly, never as zero or by leaving it out.
 */

export interface DisclosureRules {
  /** At least this many distinct households in a published cell. */
  readonly minHouseholds: number;
  /** The (n, p) dominance rule: the `dominanceCount` largest contributions ... */
  readonly dominanceCount: number;
  /** ... may make up at most this percentage of the cell's total. */
  readonly dominancePercent: number;
}

export const DEFAULT_DISCLOSURE_RULES: DisclosureRules = { minHouseholds: 5, dominanceCount: 2, dominancePercent: 85 };

/** One district's cell: each household's contribution (non-negative). */
export interface DistrictCell {
  readonly district: string;
  readonly contributions: readonly number[];
}

export type ProtectedCell =
  | { readonly suppressed: false; readonly value: number; readonly households: number }
  | { readonly suppressed: true };

export interface ProtectedTable {
  readonly districts: ReadonlyMap<string, ProtectedCell>;
  /** The tenant's total over all districts. */
  readonly total: ProtectedCell;
}

/** Whether a set of contributions may be published as one figure (the primary rules). */
export function isSafe(contributions: readonly number[], rules: DisclosureRules): boolean {
  if (contributions.length < rules.minHouseholds) return false;
  const total = contributions.reduce((a, b) => a + b, 0);
  if (total <= 0) return true;
  const largest = [...contributions]
    .sort((a, b) => b - a)
    .slice(0, rules.dominanceCount)
    .reduce((a, b) => a + b, 0);
  return largest * 100 <= total * rules.dominancePercent;
}

/**
 * Protects one window's table: districts and their total. Primary suppression
 * by the rules above; then secondary suppression along the hierarchy, because
 * a published total minus the published districts is the sum of the suppressed
 * ones: while that sum is not itself safe, the smallest published district is
 * suppressed as well, and where none is left, the total.
 */
export function protectTable(cells: readonly DistrictCell[], rules: DisclosureRules): ProtectedTable {
  const all = cells.flatMap((cell) => cell.contributions);
  const suppressed = new Set(cells.filter((cell) => !isSafe(cell.contributions, rules)).map((cell) => cell.district));
  let totalSuppressed = !isSafe(all, rules);
  if (!totalSuppressed) {
    const sumOf = (cell: DistrictCell) => cell.contributions.reduce((a, b) => a + b, 0);
    // Smallest first, ties by name: the same table is always protected the same way.
    const candidates = cells
      .filter((cell) => !suppressed.has(cell.district))
      .sort((a, b) => sumOf(a) - sumOf(b) || (a.district < b.district ? -1 : a.district > b.district ? 1 : 0));
    const hidden = () => cells.filter((cell) => suppressed.has(cell.district)).flatMap((cell) => cell.contributions);
    while (suppressed.size > 0 && !isSafe(hidden(), rules)) {
      const next = candidates.shift();
      if (next === undefined) {
        totalSuppressed = true;
        break;
      }
      suppressed.add(next.district);
    }
  }
  const cellOf = (contributions: readonly number[], hide: boolean): ProtectedCell =>
    hide
      ? { suppressed: true }
      : { suppressed: false, value: contributions.reduce((a, b) => a + b, 0), households: contributions.length };
  return {
    districts: new Map(cells.map((cell) => [cell.district, cellOf(cell.contributions, suppressed.has(cell.district))])),
    total: cellOf(all, totalSuppressed),
  };
}
