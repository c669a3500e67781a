import { StadtflussError } from "@stadtfluss/errors";
import type { CurrentStorage, Privilege } from "./current-storage.ts";
import type { DesiredStorage } from "./desired-storage.ts";
import { formatRetention, MIN_RETENTION_MS } from "./retention.ts";

/** One change that makes InfluxDB 1.x match the declaration. */
export type Step =
  | { readonly kind: "create-database"; readonly database: string; readonly retentionMs: number | null }
  | {
      readonly kind: "set-retention";
      readonly database: string;
      /** The default policy to alter; null: the database has none, one is created. */
      readonly policy: string | null;
      readonly fromMs: number | null;
      readonly toMs: number | null;
    }
  | { readonly kind: "drop-database"; readonly database: string }
  | { readonly kind: "create-user"; readonly user: string }
  | { readonly kind: "drop-user"; readonly user: string }
  | {
      readonly kind: "grant";
      readonly user: string;
      readonly database: string;
      readonly privilege: Privilege;
      readonly from: Privilege | null;
    }
  | { readonly kind: "revoke"; readonly user: string; readonly database: string; readonly privilege: Privilege };

/** A step and whether it can lose data (refused by apply without `--allow-destructive`). */
export type PlannedStep = Step & { readonly destructive: boolean };

export interface PlanOptions {
  /**
   * Which databases and users the declaration owns: only these are dropped when
   * undeclared. Default: all but InfluxDB's own `_internal`. Admin users are
   * never touched.
   */
  readonly manages?: (name: string) => boolean;
}

/** The declaration cannot be applied as it stands (a principal of an undeclared database, …). */
export class PlanError extends StadtflussError {}

const ORDER: Record<Step["kind"], number> = {
  "create-database": 0,
  "set-retention": 1,
  "create-user": 2,
  grant: 3,
  revoke: 4,
  "drop-user": 5,
  "drop-database": 6,
};

/**
 * The steps that turn `current` into `desired`, in the order they can run:
 * databases first, then users and their grants, removals last. Pure; an empty
 * plan means in sync.
 */
export function plan(current: CurrentStorage, desired: DesiredStorage, options: PlanOptions = {}): PlannedStep[] {
  checkDesired(desired);
  const manages = options.manages ?? ((name: string) => name !== "_internal");
  const steps: PlannedStep[] = [];
  const existing = new Map(current.databases.map((d) => [d.name, d]));
  for (const database of desired.databases) {
    const found = existing.get(database.name);
    if (!found) {
      steps.push({
        kind: "create-database",
        database: database.name,
        retentionMs: database.retentionMs,
        destructive: false,
      });
      continue;
    }
    const fromMs = found.defaultPolicy?.retentionMs ?? null;
    if (found.defaultPolicy && fromMs === database.retentionMs) continue;
    steps.push({
      kind: "set-retention",
      database: database.name,
      policy: found.defaultPolicy?.name ?? null,
      fromMs: found.defaultPolicy ? fromMs : null,
      toMs: database.retentionMs,
      destructive: found.defaultPolicy !== null && shortens(fromMs, database.retentionMs),
    });
  }
  const declaredDatabases = new Set(desired.databases.map((d) => d.name));
  // InfluxDB lists databases, users and grants in no fixed order; removals are sorted
  // by name so that the same state always gives the same plan.
  for (const database of byName(current.databases))
    if (!declaredDatabases.has(database.name) && manages(database.name))
      steps.push({ kind: "drop-database", database: database.name, destructive: true });

  const users = new Map(current.users.map((u) => [u.name, u]));
  for (const principal of desired.principals) {
    const user = users.get(principal.name);
    if (user?.admin)
      throw new PlanError(`principal ${principal.name} is an InfluxDB admin: declare another name for it`);
    if (!user) steps.push({ kind: "create-user", user: principal.name, destructive: false });
    const granted = new Map((user?.grants ?? []).map((g) => [g.database, g.privilege]));
    const wanted = privilegesOf(principal);
    for (const [database, privilege] of wanted) {
      const from = granted.get(database) ?? null;
      if (from !== privilege)
        steps.push({ kind: "grant", user: principal.name, database, privilege, from, destructive: false });
    }
    for (const [database, privilege] of [...granted].sort(([a], [b]) => compare(a, b)))
      if (!wanted.has(database))
        steps.push({ kind: "revoke", user: principal.name, database, privilege, destructive: false });
  }
  const declaredUsers = new Set(desired.principals.map((p) => p.name));
  for (const user of byName(current.users))
    if (!user.admin && !declaredUsers.has(user.name) && manages(user.name))
      steps.push({ kind: "drop-user", user: user.name, destructive: false });

  return steps.sort((a, b) => ORDER[a.kind] - ORDER[b.kind]);
}

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const byName = <T extends { readonly name: string }>(items: readonly T[]): T[] =>
  [...items].sort((a, b) => compare(a.name, b.name));

/** One line per step for people; no credential is ever part of a step. */
export function describeStep(step: PlannedStep): string {
  const text = (() => {
    switch (step.kind) {
      case "create-database":
        return `+ create database ${step.database} (retention ${formatRetention(step.retentionMs)})`;
      case "set-retention":
        return step.policy === null
          ? `+ create default retention policy of ${step.database} (retention ${formatRetention(step.toMs)})`
          : `~ retention of ${step.database}: ${formatRetention(step.fromMs)} → ${formatRetention(step.toMs)}`;
      case "drop-database":
        return `- drop database ${step.database} (not declared; every point in it is deleted)`;
      case "create-user":
        return `+ create user ${step.user} (with a generated password)`;
      case "drop-user":
        return `- drop user ${step.user} (not declared)`;
      case "grant":
        return `${step.from === null ? "+" : "~"} grant ${step.privilege} on ${step.database} to ${step.user}${step.from === null ? "" : ` (was ${step.from})`}`;
      case "revoke":
        return `- revoke ${step.privilege} on ${step.database} from ${step.user}`;
    }
  })();
  // `+` creates, `~` changes, `-` removes, `!` may lose data.
  return step.destructive ? `!${text.slice(1)}  [destructive: needs --allow-destructive]` : text;
}

/** Whether a new retention keeps data for a shorter time (infinite being the longest). */
export function shortens(fromMs: number | null, toMs: number | null): boolean {
  if (toMs === null) return false;
  return fromMs === null || toMs < fromMs;
}

function privilegesOf(principal: DesiredStorage["principals"][number]): Map<string, Privilege> {
  const privileges = new Map<string, Privilege>();
  for (const database of principal.read) privileges.set(database, "READ");
  for (const database of principal.write) privileges.set(database, privileges.has(database) ? "ALL" : "WRITE");
  return privileges;
}

/** Refuses a desired storage that cannot be applied: every problem at once. */
export function checkDesired(desired: DesiredStorage): void {
  const problems: string[] = [];
  const databases = new Set<string>();
  for (const database of desired.databases) {
    if (databases.has(database.name)) problems.push(`database ${database.name} is declared twice`);
    databases.add(database.name);
    if (
      database.retentionMs !== null &&
      !(Number.isSafeInteger(database.retentionMs) && database.retentionMs >= MIN_RETENTION_MS)
    )
      problems.push(`database ${database.name}: retention must be at least 1h (InfluxDB's minimum) or infinite`);
  }
  const principals = new Set<string>();
  for (const principal of desired.principals) {
    if (principals.has(principal.name)) problems.push(`principal ${principal.name} is declared twice`);
    principals.add(principal.name);
    for (const database of [...principal.read, ...principal.write])
      if (!databases.has(database)) problems.push(`principal ${principal.name}: database ${database} is not declared`);
  }
  if (problems.length > 0) throw new PlanError(`the desired storage cannot be applied: ${problems.join("; ")}`);
}
