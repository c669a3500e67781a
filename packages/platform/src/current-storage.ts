import { type InfluxReadSettings, influxQL, quoteIdentifier, seriesRows } from "@stadtfluss/influx";
import { parseInfluxDuration } from "./retention.ts";

export type Privilege = "READ" | "WRITE" | "ALL";

/** What an InfluxDB 1.x server holds, as far as the reconciler cares. */
export interface CurrentStorage {
  readonly databases: ReadonlyArray<{
    readonly name: string;
    /** The default retention policy; null when the database has none. */
    readonly defaultPolicy: { readonly name: string; readonly retentionMs: number | null } | null;
  }>;
  readonly users: ReadonlyArray<{
    readonly name: string;
    readonly admin: boolean;
    readonly grants: ReadonlyArray<{ readonly database: string; readonly privilege: Privilege }>;
  }>;
}

const PRIVILEGES: Record<string, Privilege | undefined> = {
  READ: "READ",
  WRITE: "WRITE",
  "ALL PRIVILEGES": "ALL",
};

/**
 * Reads databases, their default retention policies, users and grants with
 * SHOW statements. The settings' credential must be an admin's.
 */
export async function readCurrentStorage(settings: Omit<InfluxReadSettings, "database">): Promise<CurrentStorage> {
  const at = { ...settings, database: "" };
  const [databaseSeries = []] = await influxQL(at, "SHOW DATABASES");
  const names = seriesRows(databaseSeries).map((row) => String(row.name));
  const databases = await Promise.all(
    names.map(async (name) => {
      const [policies = []] = await influxQL(at, `SHOW RETENTION POLICIES ON ${quoteIdentifier(name)}`);
      const policy = seriesRows(policies).find((row) => row.default === true);
      return {
        name,
        defaultPolicy: policy
          ? { name: String(policy.name), retentionMs: parseInfluxDuration(String(policy.duration)) }
          : null,
      };
    }),
  );
  const [userSeries = []] = await influxQL(at, "SHOW USERS");
  const users = await Promise.all(
    seriesRows(userSeries).map(async (row) => {
      const name = String(row.user);
      const admin = row.admin === true;
      // An admin may do everything; SHOW GRANTS lists nothing that matters for it.
      if (admin) return { name, admin, grants: [] };
      const [grantSeries = []] = await influxQL(at, `SHOW GRANTS FOR ${quoteIdentifier(name)}`);
      const grants = seriesRows(grantSeries).flatMap((grant) => {
        // REVOKE leaves the database listed with NO PRIVILEGES.
        const privilege = PRIVILEGES[String(grant.privilege)];
        return privilege ? [{ database: String(grant.database), privilege }] : [];
      });
      return { name, admin, grants };
    }),
  );
  return { databases, users };
}
