import { Influx2ApiError, type Influx2Settings, influx2Request } from "./api.ts";

/** The marker in the description of every token and v1 authorization that the platform manages. */
export const PRINCIPAL_MARKER = "stadtfluss principal ";

export interface Permission {
  readonly action: "read" | "write";
  /** The bucket's ID; null for a permission on anything else (a type, another resource). */
  readonly bucketID: string | null;
}

export interface ManagedAuthorization {
  readonly id: string;
  /** The principal named in its description. */
  readonly principal: string;
  readonly active: boolean;
  readonly createdAt: string;
  readonly permissions: readonly Permission[];
}

/** What an InfluxDB 2.x organisation holds, as far as the reconciler cares. No token value is kept. */
export interface Influx2State {
  readonly orgID: string;
  readonly buckets: ReadonlyArray<{
    readonly id: string;
    readonly name: string;
    /** `_monitoring`, `_tasks`: never touched. */
    readonly system: boolean;
    /** null: kept for ever. */
    readonly retentionMs: number | null;
  }>;
  readonly dbrps: ReadonlyArray<{
    readonly id: string;
    readonly database: string;
    readonly retentionPolicy: string;
    readonly default: boolean;
    readonly bucketID: string;
    /** Derived by InfluxDB from a bucket's name (2.2+); not counted as declared. */
    readonly virtual: boolean;
  }>;
  /** API tokens whose description carries the marker. */
  readonly tokens: readonly ManagedAuthorization[];
  /** v1 authorizations (user name and password for InfluxQL clients) whose description carries the marker. */
  readonly v1Authorizations: ReadonlyArray<ManagedAuthorization & { readonly user: string }>;
  /** v1 user names taken by authorizations the platform does not manage. */
  readonly foreignV1Users: readonly string[];
}

interface ApiPermission {
  action: "read" | "write";
  resource: { type: string; id?: string };
}
interface ApiAuthorization {
  id: string;
  description?: string;
  status?: "active" | "inactive";
  createdAt?: string;
  orgID: string;
  permissions: ApiPermission[];
  /** The token (API) or the user name (v1): read only to tell users apart, never kept for tokens. */
  token?: string;
}

/** Page size of the bucket list: the most InfluxDB 2.x returns at once. */
const PAGE = 100;

/**
 * Reads the organisation named in the settings: its buckets with their
 * retention rules, DBRP mappings, API tokens and v1 authorizations. The
 * settings' token must be allowed to read all of them (an operator or
 * all-access token).
 */
export async function readInflux2State(settings: Influx2Settings): Promise<Influx2State> {
  const noSuchOrg = () => new Error(`InfluxDB has no organization named ${JSON.stringify(settings.org)} (INFLUX_ORG)`);
  const { orgs = [] } = await influx2Request<{ orgs?: Array<{ id?: string; name: string }> }>(
    settings,
    "GET",
    "/api/v2/orgs",
    { query: { org: settings.org } },
  ).catch((error: unknown) => {
    // 2.x answers a filter on an unknown name with 404.
    throw error instanceof Influx2ApiError && error.status === 404 ? noSuchOrg() : error;
  });
  const orgID = orgs.find((org) => org.name === settings.org)?.id;
  if (orgID === undefined) throw noSuchOrg();

  const buckets: Array<Influx2State["buckets"][number]> = [];
  for (let offset = 0; ; offset += PAGE) {
    const page = await influx2Request<{ buckets?: ApiBucket[] }>(settings, "GET", "/api/v2/buckets", {
      query: { orgID, limit: PAGE, offset },
    });
    const found = page.buckets ?? [];
    for (const bucket of found)
      if (bucket.id !== undefined)
        buckets.push({
          id: bucket.id,
          name: bucket.name,
          system: bucket.type === "system",
          retentionMs: retentionOf(bucket.retentionRules),
        });
    if (found.length < PAGE) break;
  }

  const { content = [] } = await influx2Request<{ content?: ApiDbrp[] }>(settings, "GET", "/api/v2/dbrps", {
    query: { orgID },
  });
  const dbrps = content.map((d) => ({
    id: d.id,
    database: d.database,
    retentionPolicy: d.retention_policy,
    default: d.default,
    bucketID: d.bucketID,
    virtual: d.virtual === true,
  }));

  const { authorizations = [] } = await influx2Request<{ authorizations?: ApiAuthorization[] }>(
    settings,
    "GET",
    "/api/v2/authorizations",
    { query: { orgID } },
  );
  const tokens = authorizations.flatMap((a) => managed(a));

  const legacy = await influx2Request<{ authorizations?: ApiAuthorization[] }>(
    settings,
    "GET",
    "/private/legacy/authorizations",
    { query: { orgID } },
  );
  const v1Authorizations = (legacy.authorizations ?? []).flatMap((a) =>
    managed(a).map((m) => ({ ...m, user: a.token ?? "" })),
  );
  const foreignV1Users = (legacy.authorizations ?? [])
    .filter((a) => managed(a).length === 0 && a.token !== undefined)
    .map((a) => a.token as string);

  return { orgID, buckets, dbrps, tokens, v1Authorizations, foreignV1Users };
}

interface ApiBucket {
  id?: string;
  name: string;
  type?: "user" | "system";
  retentionRules: Array<{ type?: string; everySeconds: number }>;
}
interface ApiDbrp {
  id: string;
  database: string;
  retention_policy: string;
  default: boolean;
  bucketID: string;
  virtual?: boolean;
}

/** An `expire` rule of 0 seconds, or none, keeps data for ever. */
function retentionOf(rules: ApiBucket["retentionRules"]): number | null {
  const seconds = rules.find((rule) => (rule.type ?? "expire") === "expire")?.everySeconds ?? 0;
  return seconds === 0 ? null : seconds * 1000;
}

function managed(authorization: ApiAuthorization): ManagedAuthorization[] {
  const description = authorization.description ?? "";
  if (!description.startsWith(PRINCIPAL_MARKER)) return [];
  return [
    {
      id: authorization.id,
      principal: description.slice(PRINCIPAL_MARKER.length),
      active: authorization.status !== "inactive",
      createdAt: authorization.createdAt ?? "",
      permissions: authorization.permissions.map((p) => ({
        action: p.action,
        bucketID: p.resource.type === "buckets" && p.resource.id !== undefined ? p.resource.id : null,
      })),
    },
  ];
}
