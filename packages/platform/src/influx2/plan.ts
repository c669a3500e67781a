import type { DesiredStorage } from "../desired-storage.ts";
import { checkDesired, PlanError, shortens } from "../plan.ts";
import { formatRetention } from "../retention.ts";
import type { Influx2State, ManagedAuthorization } from "./current-state.ts";

/** The retention policy name of every DBRP mapping the platform creates (1.x's default). */
export const MAPPED_RETENTION_POLICY = "autogen";

/** `token`: an API token; `v1`: a v1 authorization (user name and password for InfluxQL clients). */
export type CredentialKind = "token" | "v1";

/** Bucket names a credential may read and write. */
export interface Access {
  readonly read: readonly string[];
  readonly write: readonly string[];
}

/** One change that makes an InfluxDB 2.x organisation match the declaration. */
export type Influx2Step =
  | { readonly kind: "create-bucket"; readonly bucket: string; readonly retentionMs: number | null }
  | {
      readonly kind: "set-bucket-retention";
      readonly bucket: string;
      readonly bucketID: string;
      readonly fromMs: number | null;
      readonly toMs: number | null;
    }
  | { readonly kind: "delete-bucket"; readonly bucket: string; readonly bucketID: string }
  | { readonly kind: "create-dbrp"; readonly database: string; readonly bucket: string }
  | { readonly kind: "delete-dbrp"; readonly id: string; readonly database: string; readonly reason: string }
  | ({ readonly kind: "create-credential"; readonly credential: CredentialKind; readonly principal: string } & Access)
  | ({
      readonly kind: "replace-credential";
      readonly credential: CredentialKind;
      readonly principal: string;
      /** The IDs of the principal's credentials of this kind, deleted once the new one exists. */
      readonly replaces: readonly string[];
      /** What the newest of them allows (`other`: permissions on anything but buckets), or `inactive`. */
      readonly was: Access & { readonly other: number; readonly inactive: boolean };
    } & Access)
  | {
      readonly kind: "delete-credential";
      readonly credential: CredentialKind;
      readonly principal: string;
      readonly id: string;
      readonly reason: "not declared" | "superseded";
    };

/** A step and whether it can lose data (refused by apply without `--allow-destructive`). */
export type PlannedInflux2Step = Influx2Step & { readonly destructive: boolean };

export interface Influx2PlanOptions {
  /** Which buckets, mappings and principals the declaration owns (dropped when undeclared). Default: names not starting with `_`. */
  readonly manages?: (name: string) => boolean;
}

const ORDER: Record<Influx2Step["kind"], number> = {
  "create-bucket": 0,
  "set-bucket-retention": 1,
  "delete-dbrp": 2,
  "create-dbrp": 3,
  "create-credential": 4,
  "replace-credential": 4,
  "delete-credential": 5,
  "delete-bucket": 6,
};

/**
 * The steps that turn the organisation's `current` state into `desired`:
 * buckets with their retention, one physical DBRP mapping per bucket (database
 * = bucket name, retention policy `autogen`), and per principal one API token
 * and one v1 authorization allowed exactly its buckets. A credential's
 * permissions cannot change in InfluxDB 2.x, so a principal whose access
 * changed gets a new one that replaces the old. Pure; an empty plan means in sync.
 */
export function planInflux2(
  current: Influx2State,
  desired: DesiredStorage,
  options: Influx2PlanOptions = {},
): PlannedInflux2Step[] {
  checkDesired(desired);
  const unround = desired.databases.filter((d) => d.retentionMs !== null && d.retentionMs % 1000 !== 0);
  if (unround.length > 0)
    throw new PlanError(`InfluxDB 2.x keeps retention in whole seconds: ${unround.map((d) => d.name).join(", ")}`);
  const manages = options.manages ?? ((name: string) => !name.startsWith("_"));
  const steps: PlannedInflux2Step[] = [];
  const userBuckets = current.buckets.filter((b) => !b.system);
  const byName = new Map(userBuckets.map((b) => [b.name, b]));
  const nameOf = new Map(userBuckets.map((b) => [b.id, b.name]));

  for (const database of desired.databases) {
    const bucket = byName.get(database.name);
    if (current.buckets.some((b) => b.system && b.name === database.name))
      throw new PlanError(`database ${database.name} has the name of an InfluxDB system bucket`);
    if (!bucket) {
      steps.push({
        kind: "create-bucket",
        bucket: database.name,
        retentionMs: database.retentionMs,
        destructive: false,
      });
    } else if (bucket.retentionMs !== database.retentionMs) {
      steps.push({
        kind: "set-bucket-retention",
        bucket: database.name,
        bucketID: bucket.id,
        fromMs: bucket.retentionMs,
        toMs: database.retentionMs,
        destructive: shortens(bucket.retentionMs, database.retentionMs),
      });
    }
    // InfluxQL clients name a database; only mappings to this bucket may answer to its name.
    const mappings = current.dbrps.filter((d) => !d.virtual && d.database === database.name);
    const right = (d: (typeof mappings)[number]) =>
      bucket !== undefined && d.bucketID === bucket.id && d.retentionPolicy === MAPPED_RETENTION_POLICY && d.default;
    for (const mapping of sortBy(mappings, (d) => d.id))
      if (!right(mapping))
        steps.push({
          kind: "delete-dbrp",
          id: mapping.id,
          database: database.name,
          reason: `maps ${mapping.database}/${mapping.retentionPolicy} to ${nameOf.get(mapping.bucketID) ?? `bucket ${mapping.bucketID}`}`,
          destructive: false,
        });
    if (!mappings.some(right))
      steps.push({ kind: "create-dbrp", database: database.name, bucket: database.name, destructive: false });
  }

  const declared = new Set(desired.databases.map((d) => d.name));
  for (const mapping of sortBy(current.dbrps, (d) => d.id))
    if (!mapping.virtual && !declared.has(mapping.database) && manages(mapping.database))
      steps.push({
        kind: "delete-dbrp",
        id: mapping.id,
        database: mapping.database,
        reason: "not declared",
        destructive: false,
      });

  const foreign = new Set(current.foreignV1Users);
  for (const principal of desired.principals) {
    if (foreign.has(principal.name))
      throw new PlanError(
        `principal ${principal.name}: a v1 authorization of that user name exists and is not managed here; declare another name or remove it`,
      );
    if (principal.read.length + principal.write.length === 0)
      throw new PlanError(
        `principal ${principal.name} may read or write no database: InfluxDB 2.x has no credential without permissions`,
      );
    const access: Access = { read: [...principal.read].sort(compare), write: [...principal.write].sort(compare) };
    planCredential("token", principal.name, access, current.tokens, nameOf, steps);
    planCredential("v1", principal.name, access, current.v1Authorizations, nameOf, steps);
  }
  const principals = new Set(desired.principals.map((p) => p.name));
  for (const [credential, held] of [
    ["token", current.tokens],
    ["v1", current.v1Authorizations],
  ] as const)
    for (const authorization of sortBy(held, (a) => `${a.principal} ${a.id}`))
      if (!principals.has(authorization.principal) && manages(authorization.principal))
        steps.push({
          kind: "delete-credential",
          credential,
          principal: authorization.principal,
          id: authorization.id,
          reason: "not declared",
          destructive: false,
        });

  for (const bucket of sortBy(userBuckets, (b) => b.name))
    if (!declared.has(bucket.name) && manages(bucket.name))
      steps.push({ kind: "delete-bucket", bucket: bucket.name, bucketID: bucket.id, destructive: true });

  return steps.sort((a, b) => ORDER[a.kind] - ORDER[b.kind]);
}

/**
 * Keeps the newest active credential of the principal that allows exactly
 * `access` and deletes the others; without one, creates it, replacing what
 * the principal holds.
 */
function planCredential(
  credential: CredentialKind,
  principal: string,
  access: Access,
  all: readonly (ManagedAuthorization & { readonly user?: string })[],
  nameOf: ReadonlyMap<string, string>,
  steps: PlannedInflux2Step[],
): void {
  const held = all
    .filter((a) => a.principal === principal)
    .sort((a, b) => compare(b.createdAt, a.createdAt) || compare(a.id, b.id));
  const wanted = permissionKeys(access);
  const fits = (a: (typeof held)[number]) =>
    a.active &&
    (a.user === undefined || a.user === principal) &&
    sameSet(
      a.permissions.map(
        (p) => `${p.action}:${p.bucketID === null ? "?" : (nameOf.get(p.bucketID) ?? `?${p.bucketID}`)}`,
      ),
      wanted,
    );
  const keep = held.find(fits);
  if (keep) {
    for (const other of held)
      if (other !== keep)
        steps.push({
          kind: "delete-credential",
          credential,
          principal,
          id: other.id,
          reason: "superseded",
          destructive: false,
        });
    return;
  }
  const [newest] = held;
  if (!newest) {
    steps.push({ kind: "create-credential", credential, principal, ...access, destructive: false });
    return;
  }
  const bucketsOf = (action: "read" | "write") =>
    newest.permissions
      .filter((p) => p.action === action && p.bucketID !== null)
      .map((p) => nameOf.get(p.bucketID as string) ?? `deleted bucket ${p.bucketID}`)
      .sort(compare);
  steps.push({
    kind: "replace-credential",
    credential,
    principal,
    ...access,
    replaces: held.map((a) => a.id),
    was: {
      read: bucketsOf("read"),
      write: bucketsOf("write"),
      other: newest.permissions.filter((p) => p.bucketID === null).length,
      inactive: !newest.active,
    },
    destructive: false,
  });
}

const CREDENTIAL: Record<CredentialKind, string> = { token: "API token", v1: "v1 authorization" };

/** One line per step for people; no token or password is ever part of a step. */
export function describeInflux2Step(step: PlannedInflux2Step): string {
  const text = (() => {
    switch (step.kind) {
      case "create-bucket":
        return `+ create bucket ${step.bucket} (retention ${formatRetention(step.retentionMs)})`;
      case "set-bucket-retention":
        return `~ retention of bucket ${step.bucket}: ${formatRetention(step.fromMs)} → ${formatRetention(step.toMs)}`;
      case "delete-bucket":
        return `- delete bucket ${step.bucket} (not declared; every point in it is deleted)`;
      case "create-dbrp":
        return `+ map database ${step.database} (retention policy ${MAPPED_RETENTION_POLICY}, default) to bucket ${step.bucket}`;
      case "delete-dbrp":
        return `- delete DBRP mapping of database ${step.database} (${step.reason})`;
      case "create-credential":
        return `+ create ${CREDENTIAL[step.credential]} for ${step.principal} (${describeAccess(step)})`;
      case "replace-credential": {
        const was = step.was.inactive
          ? "inactive"
          : `${describeAccess(step.was)}${step.was.other > 0 ? `, ${step.was.other} other permission(s)` : ""}`;
        return `~ replace ${CREDENTIAL[step.credential]} of ${step.principal}: a NEW credential (${describeAccess(step)}) replaces the old one (${was}), which is deleted; its permissions cannot change. Hand the new credential file to what uses it`;
      }
      case "delete-credential":
        return `- delete ${CREDENTIAL[step.credential]} of ${step.principal} (${step.reason})`;
    }
  })();
  // `+` creates, `~` changes, `-` removes, `!` may lose data.
  return step.destructive ? `!${text.slice(1)}  [destructive: needs --allow-destructive]` : text;
}

function describeAccess(access: Access): string {
  const parts = [
    access.read.length > 0 ? `read ${access.read.join(", ")}` : "",
    access.write.length > 0 ? `write ${access.write.join(", ")}` : "",
  ].filter(Boolean);
  return parts.length > 0 ? parts.join("; ") : "no bucket";
}

/** The permission set of an access as `action:bucket` keys. */
function permissionKeys(access: Access): string[] {
  return [...access.read.map((b) => `read:${b}`), ...access.write.map((b) => `write:${b}`)];
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const left = new Set(a);
  const right = new Set(b);
  return left.size === right.size && [...left].every((k) => right.has(k)) && a.length === left.size;
}

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const sortBy = <T>(items: readonly T[], key: (item: T) => string): T[] =>
  [...items].sort((a, b) => compare(key(a), key(b)));
