import { z } from "zod";

/**
 * The classes a tenant's data falls into, each kept in a database of its own:
 * raw observations that may be shown to the public, raw observations about
 * people or households, and the aggregates published as open data.
 */
export const DATA_CLASSES = ["public", "personal", "open"] as const;
export type DataClass = (typeof DATA_CLASSES)[number];

const NAME = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;
const NAME_RULE = "must be lowercase letters, digits and single hyphens, starting with a letter";

/**
 * A declared tenant's id. Narrower than an observation's identifier on purpose:
 * it becomes part of database, bucket and user names. No `_` (the separator of
 * `databaseName`), no upper case (two ids differing in case only would collide on
 * a case-insensitive store), no `.` (InfluxQL's `db.rp.measurement`); at most 48
 * characters, so that `<tenant>_personal` stays within InfluxDB 3's 64.
 */
export const tenantIdSchema = z.string().min(1).max(48).regex(NAME, NAME_RULE);

/** A principal (a reader or the writer): a user name in InfluxDB and Mosquitto. */
export const principalNameSchema = z.string().min(1).max(64).regex(NAME, NAME_RULE);

/**
 * The database (InfluxDB 1.x) or bucket (2.x, 3) holding `dataClass` of `tenant`:
 * `<tenant>_<class>`, such as `musterstadt_public` or `stadtwerke-musterstadt_personal`.
 * A tenant id holds no `_`, so the name's one `_` splits it back into exactly one
 * tenant and class: two different pairs never share a database.
 */
export function databaseName(tenant: string, dataClass: DataClass): string {
  if (!tenantIdSchema.safeParse(tenant).success) throw new Error(`"${tenant}" is no tenant id: ${NAME_RULE}`);
  if (!DATA_CLASSES.includes(dataClass)) throw new Error(`"${String(dataClass)}" is no data class`);
  return `${tenant}_${dataClass}`;
}

/** The tenant and class a database name stands for, or undefined for a name `databaseName` never makes. */
export function parseDatabaseName(
  name: string,
): { readonly tenant: string; readonly dataClass: DataClass } | undefined {
  const separator = name.indexOf("_");
  if (separator < 0) return undefined;
  const tenant = name.slice(0, separator);
  const dataClass = name.slice(separator + 1) as DataClass;
  if (!DATA_CLASSES.includes(dataClass) || !tenantIdSchema.safeParse(tenant).success) return undefined;
  return { tenant, dataClass };
}
