import { StadtflussError } from "@stadtfluss/errors";
import { quoteIdentifier, quoteString } from "@stadtfluss/influx";
import { databaseName } from "@stadtfluss/registry";

/** The raw classes the single-bucket layout held; `open` aggregates were never in it. */
export const MIGRATED_CLASSES = ["public", "personal"] as const;
export type MigratedClass = (typeof MIGRATED_CLASSES)[number];

/** The default retention policy of a target database, as InfluxDB holds it. */
export interface MigrationTarget {
  readonly policy: string;
  /** null: infinite. */
  readonly retentionMs: number | null;
}

export interface MigrationInput {
  /** The database of the layout before tenants (the writer's former `INFLUX_BUCKET`). */
  readonly source: string;
  /** Every retention policy of the source: points may sit in any of them. */
  readonly sourcePolicies: readonly string[];
  /** The declared tenant ids. */
  readonly tenants: readonly string[];
  /** The target databases that exist, by name; a missing one is reported, not guessed. */
  readonly targets: ReadonlyMap<string, MigrationTarget>;
  /** When the plan is made (ms since the epoch): the retention cut-offs count from it. */
  readonly now: number;
  /**
   * Splits each copy into time windows of `ms`, cut between the source's first and
   * last point (`sourceExtent`): one statement per window, so that no single
   * `SELECT INTO` holds a whole history in InfluxDB's memory.
   */
  readonly chunk?: { readonly ms: number; readonly first: number; readonly last: number };
}

/** One tenant's class: copied from every source policy into its database's default policy. */
export interface MigrationCopy {
  readonly tenant: string;
  readonly dataClass: MigratedClass;
  readonly target: string;
  /** Undefined when the target database does not exist yet (`pnpm platform apply` creates it). */
  readonly targetPolicy: string | undefined;
  /** Points before it (ms) are not copied: the target's retention would refuse them. */
  readonly since: number | null;
  /** The InfluxQL condition selecting the copy's points, including the time bound. */
  readonly where: string;
  /** The tenant's class before the cut-off: what stays in the source; null without a cut-off. */
  readonly beyondRetention: string | null;
  /** One `SELECT * INTO` per source policy (and time window, when chunked). */
  readonly statements: readonly string[];
}

export interface MigrationPlan {
  readonly source: string;
  readonly sourcePolicies: readonly string[];
  readonly copies: readonly MigrationCopy[];
  /** Target databases that do not exist; running the plan is refused while any is listed. */
  readonly missingTargets: readonly string[];
}

export class MigrationError extends StadtflussError {}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/**
 * The cut-off's distance inside the retention: InfluxDB refuses a point older than
 * now minus the retention at the moment it is written, and a refused point fails the
 * whole `SELECT INTO` statement. The margin keeps points near the edge out, so that
 * a long run does not reach them (they expire within the margin anyway).
 */
export function retentionMargin(retentionMs: number): number {
  return Math.min(DAY, Math.floor(retentionMs / 2));
}

/**
 * The InfluxQL that copies the single-bucket layout into a database per tenant and
 * class: for each declared tenant, its `public` points (tag `privacy` = `public`)
 * and its `personal` points (`personal`, or no privacy tag at all: never public by
 * omission), `SELECT * INTO ... GROUP BY *` so that tags stay tags and fields keep
 * their types. Same series and time overwrite each other in InfluxDB, so running
 * it again duplicates nothing. Pure.
 */
export function planMigration(input: MigrationInput): MigrationPlan {
  const problems: string[] = [];
  if (input.sourcePolicies.length === 0) problems.push(`the source database ${input.source} has no retention policy`);
  const copies: MigrationCopy[] = [];
  const missingTargets: string[] = [];
  for (const tenant of [...input.tenants].sort(compare))
    for (const dataClass of MIGRATED_CLASSES) {
      const target = databaseName(tenant, dataClass);
      if (target === input.source)
        problems.push(`the source database ${input.source} is ${tenant}'s ${dataClass} database`);
      const found = input.targets.get(target);
      if (!found) missingTargets.push(target);
      const since =
        found?.retentionMs === undefined || found.retentionMs === null
          ? null
          : input.now - found.retentionMs + retentionMargin(found.retentionMs);
      const selects = `${quoteIdentifier("tenant")} = ${quoteString(tenant)} AND ${privacyCondition(dataClass)}`;
      const where = `${selects}${timeBound(">=", since)}`;
      const into = `${quoteIdentifier(target)}.${quoteIdentifier(found?.policy ?? "autogen")}.:MEASUREMENT`;
      const windows = timeWindows(since, input.chunk);
      copies.push({
        tenant,
        dataClass,
        target,
        targetPolicy: found?.policy,
        since,
        where,
        beyondRetention: since === null ? null : `${selects}${timeBound("<", since)}`,
        statements: input.sourcePolicies.flatMap((policy) =>
          windows.map(
            ({ from, to }) =>
              `SELECT * INTO ${into} FROM ${fromAll(input.source, policy)} WHERE ${selects}${timeBound(">=", from)}${timeBound("<", to)} GROUP BY *`,
          ),
        ),
      });
    }
  if (problems.length > 0) throw new MigrationError(`cannot migrate: ${problems.join("; ")}`);
  return { source: input.source, sourcePolicies: input.sourcePolicies, copies, missingTargets };
}

/**
 * The windows a copy from `since` is split into: boundaries at multiples of the
 * chunk between the first and last point, the first window open below (or from
 * `since`), the last open above, so that a point outside the extent read before
 * is still copied. One open window without a chunk.
 */
export function timeWindows(
  since: number | null,
  chunk: MigrationInput["chunk"],
): Array<{ readonly from: number | null; readonly to: number | null }> {
  if (!chunk) return [{ from: since, to: null }];
  if (!(Number.isSafeInteger(chunk.ms) && chunk.ms > 0))
    throw new MigrationError("a chunk must be a positive duration");
  const windows: Array<{ from: number | null; to: number | null }> = [];
  let from = since;
  for (
    let boundary = (Math.floor(Math.max(since ?? chunk.first, chunk.first) / chunk.ms) + 1) * chunk.ms;
    boundary <= chunk.last;
    boundary += chunk.ms
  ) {
    windows.push({ from, to: boundary });
    from = boundary;
  }
  windows.push({ from, to: null });
  return windows;
}

function timeBound(operator: ">=" | "<", ms: number | null): string {
  return ms === null ? "" : ` AND time ${operator} ${quoteString(new Date(ms).toISOString())}`;
}

/** Every measurement of one retention policy of a database. */
export function fromAll(database: string, policy: string): string {
  return `${quoteIdentifier(database)}.${quoteIdentifier(policy)}./.*/`;
}

/**
 * Counts every field's values per measurement; grouped by tenant and privacy, it
 * shows what the source holds that no copy takes (undeclared tenants, unknown classes).
 */
export function countStatement(database: string, policy: string, where?: string, groupBy?: readonly string[]): string {
  const group = groupBy && groupBy.length > 0 ? ` GROUP BY ${groupBy.map(quoteIdentifier).join(", ")}` : "";
  return `SELECT count(*) FROM ${fromAll(database, policy)}${where ? ` WHERE ${where}` : ""}${group}`;
}

/** The class a point's `privacy` tag puts it in; '' is a point without the tag. */
export function classOfPrivacy(privacy: string): MigratedClass | undefined {
  if (privacy === "public") return "public";
  if (privacy === "personal" || privacy === "") return "personal";
  return undefined;
}

function privacyCondition(dataClass: MigratedClass): string {
  const privacy = quoteIdentifier("privacy");
  // `"privacy" = ''` is how InfluxQL matches a series without the tag: points written
  // before every observation carried a class are personal.
  return dataClass === "public"
    ? `${privacy} = ${quoteString("public")}`
    : `(${privacy} = ${quoteString("personal")} OR ${privacy} = ${quoteString("")})`;
}

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
