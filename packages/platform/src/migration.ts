import {
  type InfluxQLSeries,
  type InfluxReadSettings,
  influxQL,
  quoteIdentifier,
  seriesRows,
} from "@stadtfluss/influx";
import { readCurrentStorage } from "./current-storage.ts";
import {
  classOfPrivacy,
  countStatement,
  fromAll,
  type MigrationCopy,
  MigrationError,
  type MigrationInput,
  type MigrationPlan,
  type MigrationTarget,
} from "./migration-plan.ts";

type AdminSettings = Omit<InfluxReadSettings, "database">;

/** Field values per field, of one measurement. */
export type FieldCounts = Readonly<Record<string, number>>;

export interface CopyCheck {
  readonly copy: MigrationCopy;
  readonly measurements: ReadonlyArray<{
    readonly measurement: string;
    readonly source: FieldCounts;
    readonly target: FieldCounts;
    /** Every field has at least as many values in the target as in the source. */
    readonly complete: boolean;
  }>;
  /** Values of the tenant's class older than the copy's cut-off, left in the source. */
  readonly beyondRetention: number;
}

export interface MigrationCheck {
  readonly copies: readonly CopyCheck[];
  /** Values no copy takes, per tenant ('' = no tenant tag): undeclared tenants, unknown classes. */
  readonly leftBehind: ReadonlyArray<{ readonly tenant: string; readonly privacy: string; readonly values: number }>;
  readonly complete: boolean;
}

/**
 * What planning needs from InfluxDB: the source's retention policies and the
 * default policy of every existing database. The credential must be an admin's.
 */
export async function readMigrationInput(
  settings: AdminSettings,
  source: string,
  tenants: readonly string[],
  now: number,
): Promise<MigrationInput> {
  const current = await readCurrentStorage(settings);
  if (!current.databases.some((database) => database.name === source))
    throw new MigrationError(`the source database ${source} does not exist`);
  const [policies = []] = await influxQL(
    { ...settings, database: "" },
    `SHOW RETENTION POLICIES ON ${quoteIdentifier(source)}`,
  );
  const targets = new Map<string, MigrationTarget>();
  for (const database of current.databases)
    if (database.defaultPolicy)
      targets.set(database.name, {
        policy: database.defaultPolicy.name,
        retentionMs: database.defaultPolicy.retentionMs,
      });
  return {
    source,
    sourcePolicies: seriesRows(policies).map((row) => String(row.name)),
    tenants,
    targets,
    now,
  };
}

/**
 * The times of the first and last point in any retention policy of the source
 * (ms), or undefined when it holds none: where `--chunk` cuts its windows.
 */
export async function readSourceExtent(
  settings: AdminSettings,
  source: string,
  policies: readonly string[],
): Promise<{ first: number; last: number } | undefined> {
  const times: number[] = [];
  for (const policy of policies)
    for (const order of ["ASC", "DESC"]) {
      const [series = []] = await influxQL(
        { ...settings, database: "" },
        `SELECT * FROM ${fromAll(source, policy)} ORDER BY time ${order} LIMIT 1`,
      );
      for (const row of seriesRows(series)) if (typeof row.time === "number") times.push(row.time);
    }
  return times.length === 0 ? undefined : { first: Math.min(...times), last: Math.max(...times) };
}

/**
 * Runs the plan's `SELECT * INTO` statements in order. Refuses, before running
 * any, while a target database does not exist. `onStatement` gets the number of
 * points each statement wrote.
 */
export async function runMigration(
  settings: AdminSettings,
  plan: MigrationPlan,
  options: { readonly onStatement?: (copy: MigrationCopy, statement: string, written: number) => void } = {},
): Promise<void> {
  if (plan.missingTargets.length > 0)
    throw new MigrationError(
      `the target database(s) ${plan.missingTargets.join(", ")} do not exist: run \`pnpm platform apply --declaration <registry>\` first`,
    );
  const at = { ...settings, database: "" };
  for (const copy of plan.copies)
    for (const statement of copy.statements) {
      const [result = []] = await influxQL(at, statement, { method: "POST" });
      const written = Number(seriesRows(result)[0]?.written ?? 0);
      options.onStatement?.(copy, statement, written);
    }
}

/**
 * Counts each copy's values per measurement and field in the source (every
 * policy) and in the target, the values the retention cut-off left behind, and
 * the values of tenants or classes no copy takes. The target may hold more than
 * the source (the routed writer writes there too), never fewer.
 */
export async function checkMigration(
  settings: AdminSettings,
  plan: MigrationPlan,
  tenants: readonly string[],
): Promise<MigrationCheck> {
  const at = { ...settings, database: "" };
  const count = async (statement: string) => countsOf((await influxQL(at, statement))[0] ?? []);
  const copies: CopyCheck[] = [];
  for (const copy of plan.copies) {
    const source = new Map<string, Record<string, number>>();
    let beyondRetention = 0;
    for (const policy of plan.sourcePolicies) {
      for (const { measurement, fields } of await count(countStatement(plan.source, policy, copy.where)))
        source.set(measurement, add(source.get(measurement) ?? {}, fields));
      if (copy.beyondRetention !== null)
        for (const { fields } of await count(countStatement(plan.source, policy, copy.beyondRetention)))
          beyondRetention += total(fields);
    }
    const target = new Map(
      copy.targetPolicy === undefined
        ? []
        : (await count(countStatement(copy.target, copy.targetPolicy, copy.where))).map((c) => [
            c.measurement,
            c.fields,
          ]),
    );
    const measurements = [...new Set([...source.keys(), ...target.keys()])].sort().map((measurement) => {
      const from = source.get(measurement) ?? {};
      const to = target.get(measurement) ?? {};
      return {
        measurement,
        source: from,
        target: to,
        complete: Object.entries(from).every(([field, n]) => (to[field] ?? 0) >= n),
      };
    });
    copies.push({ copy, measurements, beyondRetention });
  }

  const declared = new Set(tenants);
  const left = new Map<string, { tenant: string; privacy: string; values: number }>();
  for (const policy of plan.sourcePolicies)
    for (const { tags, fields } of await count(countStatement(plan.source, policy, undefined, ["tenant", "privacy"]))) {
      const tenant = tags.tenant ?? "";
      const privacy = tags.privacy ?? "";
      if (declared.has(tenant) && classOfPrivacy(privacy) !== undefined) continue;
      const key = JSON.stringify([tenant, privacy]);
      const entry = left.get(key) ?? { tenant, privacy, values: 0 };
      left.set(key, { ...entry, values: entry.values + total(fields) });
    }
  const leftBehind = [...left.values()].sort((a, b) =>
    a.tenant === b.tenant ? compare(a.privacy, b.privacy) : compare(a.tenant, b.tenant),
  );
  return {
    copies,
    leftBehind,
    complete: copies.every((check) => check.measurements.every((m) => m.complete)),
  };
}

/** `count(*)` answers one column `count_<field>` per field of every measurement matched; null where a measurement has no such field. */
function countsOf(series: readonly InfluxQLSeries[]) {
  return series.map((s) => {
    const row = s.values[0] ?? [];
    const fields: Record<string, number> = {};
    s.columns.forEach((column, i) => {
      const value = row[i];
      if (column.startsWith("count_") && typeof value === "number" && value > 0) fields[column.slice(6)] = value;
    });
    return { measurement: s.name, tags: s.tags ?? {}, fields };
  });
}

function add(a: FieldCounts, b: FieldCounts): Record<string, number> {
  const sum: Record<string, number> = { ...a };
  for (const [field, n] of Object.entries(b)) sum[field] = (sum[field] ?? 0) + n;
  return sum;
}

export function total(fields: FieldCounts): number {
  return Object.values(fields).reduce((sum, n) => sum + n, 0);
}

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
