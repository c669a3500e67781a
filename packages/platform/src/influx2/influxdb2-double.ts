/**
 * A stateful stand-in for the InfluxDB 2.x API, for tests only: no 2.x server
 * installs here. It keeps one organisation's buckets, DBRP mappings, API tokens
 * and v1 authorizations in memory, and checks every request it receives and
 * every response it sends against InfluxData's own OpenAPI descriptions (read
 * from the paths given; never copied into the project). What the descriptions
 * do not allow it refuses (400) and records as a violation, and it is stricter
 * than they are in one way: an object may hold only the properties they
 * declare, so a misspelt field fails instead of being ignored as InfluxDB's
 * JSON decoding would.
 */
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import {
  apiBackend,
  checkRequest,
  closeObjects,
  type Json,
  type OpenAPIBackend,
  queryValues,
  readBody,
  responseProblem,
} from "@stadtfluss/testing";
import { parse } from "yaml";

export interface DoubleBucket {
  id: string;
  name: string;
  type: "user" | "system";
  retentionRules: Array<{ type: "expire"; everySeconds: number; shardGroupDurationSeconds?: number }>;
  createdAt: string;
  updatedAt: string;
}
export interface DoubleDbrp {
  id: string;
  orgID: string;
  bucketID: string;
  database: string;
  retention_policy: string;
  default: boolean;
}
export interface DoublePermission {
  action: "read" | "write";
  resource: { type: string; id?: string; orgID?: string; name?: string; org?: string };
}
export interface DoubleAuthorization {
  id: string;
  orgID: string;
  /** The API token, or a v1 authorization's user name. */
  token: string;
  status: "active" | "inactive";
  description?: string;
  permissions: DoublePermission[];
  createdAt: string;
  updatedAt: string;
  /** v1 only: set through its password endpoint. */
  password?: string;
}

export interface InfluxDB2Double {
  readonly url: string;
  readonly org: { readonly id: string; readonly name: string };
  readonly buckets: DoubleBucket[];
  readonly dbrps: DoubleDbrp[];
  readonly authorizations: DoubleAuthorization[];
  readonly v1Authorizations: DoubleAuthorization[];
  /** Requests or responses the descriptions do not allow, as `METHOD path: reason`. */
  readonly violations: string[];
  /** Every token and password the double issued, the operator's included. */
  secrets(): string[];
  close(): Promise<void>;
}

interface Answer {
  status: number;
  body?: unknown;
}

/**
 * Starts the double on a free loopback port. `spec` is InfluxDB 2.x OSS's
 * description (`/api/v2`), `legacySpec` the 1.x-compatibility one (its
 * `/private/legacy/authorizations`).
 */
export async function startInfluxDB2Double(options: {
  spec: string;
  legacySpec: string;
  org?: string;
  operatorToken: string;
}): Promise<InfluxDB2Double> {
  const apis = await Promise.all([backend(options.spec, "/api/v2"), backend(options.legacySpec, "/")]);
  const now = () => new Date().toISOString();
  const org = { id: newID(), name: options.org ?? "stadtfluss" };
  const system = (name: string, seconds: number): DoubleBucket => ({
    id: newID(),
    name,
    type: "system",
    retentionRules: [{ type: "expire", everySeconds: seconds }],
    createdAt: now(),
    updatedAt: now(),
  });
  const buckets: DoubleBucket[] = [system("_monitoring", 604_800), system("_tasks", 259_200)];
  const dbrps: DoubleDbrp[] = [];
  const operator: DoubleAuthorization = {
    id: newID(),
    orgID: org.id,
    token: options.operatorToken,
    status: "active",
    description: "admin's Token",
    permissions: [{ action: "read", resource: { type: "authorizations" } }],
    createdAt: now(),
    updatedAt: now(),
  };
  const authorizations: DoubleAuthorization[] = [operator];
  const v1Authorizations: DoubleAuthorization[] = [];
  const violations: string[] = [];

  const error = (status: number, code: string, message: string): Answer => ({ status, body: { code, message } });
  const bucketBody = (b: DoubleBucket) => ({
    id: b.id,
    orgID: org.id,
    type: b.type,
    schemaType: "implicit",
    name: b.name,
    retentionRules: b.retentionRules,
    createdAt: b.createdAt,
    updatedAt: b.updatedAt,
    links: {
      labels: `/api/v2/buckets/${b.id}/labels`,
      members: `/api/v2/buckets/${b.id}/members`,
      org: `/api/v2/orgs/${org.id}`,
      owners: `/api/v2/buckets/${b.id}/owners`,
      self: `/api/v2/buckets/${b.id}`,
      write: `/api/v2/write?org=${org.id}&bucket=${b.id}`,
    },
    labels: [],
  });
  const authorizationBody = (a: DoubleAuthorization, self: string) => ({
    id: a.id,
    token: a.token,
    status: a.status,
    ...(a.description !== undefined ? { description: a.description } : {}),
    orgID: a.orgID,
    org: org.name,
    permissions: a.permissions,
    createdAt: a.createdAt,
    updatedAt: a.updatedAt,
    links: { self: `${self}/${a.id}` },
  });
  // InfluxDB 2.2+ answers to a bucket's name as a database without a mapping of its own ("virtual").
  const withVirtual = (): Array<DoubleDbrp & { virtual: boolean }> => [
    ...dbrps.map((d) => ({ ...d, virtual: false })),
    ...buckets
      .filter((b) => b.type === "user" && !dbrps.some((d) => d.database === b.name))
      .map((b) => ({
        id: b.id,
        orgID: org.id,
        bucketID: b.id,
        database: b.name,
        retention_policy: "autogen",
        default: true,
        virtual: true,
      })),
  ];
  const inOrg = (query: Json) =>
    (query.orgID === undefined || query.orgID === org.id) && (query.org === undefined || query.org === org.name);
  const retentionProblem = (rules: Array<{ everySeconds: number }> | undefined) =>
    (rules ?? []).some((r) => r.everySeconds !== 0 && r.everySeconds < 3600)
      ? "retention policy duration must be at least 1h0m0s"
      : undefined;
  const permissionProblem = (permissions: DoublePermission[]) =>
    permissions
      .filter((p) => p.resource.type === "buckets")
      .map((p) =>
        p.resource.orgID !== org.id
          ? "permission's orgID does not match"
          : p.resource.id !== undefined && !buckets.some((b) => b.id === p.resource.id)
            ? `bucket ${p.resource.id} not found`
            : undefined,
      )
      .find((problem) => problem !== undefined);

  const handlers: Record<string, (params: Json, query: Json, body: Json) => Answer> = {
    GetOrgs: (_p, query) =>
      query.org !== undefined && query.org !== org.name
        ? error(404, "not found", `organization name "${String(query.org)}" not found`)
        : {
            status: 200,
            body: { links: { self: "/api/v2/orgs" }, orgs: [{ id: org.id, name: org.name, status: "active" }] },
          },
    GetBuckets: (_p, query) => {
      if (!inOrg(query)) return { status: 200, body: { links: { self: "/api/v2/buckets" }, buckets: [] } };
      const limit = Number(query.limit ?? 20);
      const offset = Number(query.offset ?? 0);
      const found = buckets.filter(
        (b) => (query.name === undefined || b.name === query.name) && (query.id === undefined || b.id === query.id),
      );
      return {
        status: 200,
        body: { links: { self: "/api/v2/buckets" }, buckets: found.slice(offset, offset + limit).map(bucketBody) },
      };
    },
    PostBuckets: (_p, _q, body) => {
      if (body.orgID !== org.id) return error(400, "invalid", "organization not found");
      if (buckets.some((b) => b.name === body.name))
        return error(422, "conflict", `bucket with name ${String(body.name)} already exists`);
      const rules = (body.retentionRules as DoubleBucket["retentionRules"] | undefined) ?? [];
      const problem = retentionProblem(rules);
      if (problem) return error(422, "unprocessable entity", problem);
      const bucket: DoubleBucket = {
        id: newID(),
        name: String(body.name),
        type: "user",
        retentionRules: rules.map((r) => ({ type: "expire", everySeconds: r.everySeconds })),
        createdAt: now(),
        updatedAt: now(),
      };
      buckets.push(bucket);
      return { status: 201, body: bucketBody(bucket) };
    },
    PatchBucketsID: (params, _q, body) => {
      const bucket = buckets.find((b) => b.id === params.bucketID);
      if (!bucket) return error(404, "not found", "bucket not found");
      const rules = body.retentionRules as DoubleBucket["retentionRules"] | undefined;
      const problem = retentionProblem(rules);
      if (problem) return error(400, "invalid", problem);
      if (rules) bucket.retentionRules = rules.map((r) => ({ type: "expire", everySeconds: r.everySeconds }));
      if (typeof body.name === "string") bucket.name = body.name;
      bucket.updatedAt = now();
      return { status: 200, body: bucketBody(bucket) };
    },
    DeleteBucketsID: (params) => {
      const at = buckets.findIndex((b) => b.id === params.bucketID);
      const bucket = buckets[at];
      if (!bucket) return error(404, "not found", "bucket not found");
      if (bucket.type === "system") return error(400, "invalid", "system buckets cannot be deleted");
      buckets.splice(at, 1);
      // The bucket's mappings go with it.
      for (let i = dbrps.length - 1; i >= 0; i--) if (dbrps[i]?.bucketID === bucket.id) dbrps.splice(i, 1);
      return { status: 204 };
    },
    GetDBRPs: (_p, query) => {
      if (query.orgID === undefined && query.org === undefined)
        return error(400, "invalid", "either org or orgID must be provided");
      if (!inOrg(query)) return { status: 200, body: { content: [] } };
      const content = withVirtual().filter(
        (d) =>
          (query.db === undefined || d.database === query.db) &&
          (query.rp === undefined || d.retention_policy === query.rp) &&
          (query.bucketID === undefined || d.bucketID === query.bucketID) &&
          (query.id === undefined || d.id === query.id) &&
          (query.default === undefined || d.default === query.default),
      );
      return { status: 200, body: { content } };
    },
    PostDBRP: (_p, _q, body) => {
      if ((body.orgID === undefined && body.org === undefined) || !inOrg(body))
        return error(400, "invalid", "either a known org or orgID must be provided");
      if (!buckets.some((b) => b.id === body.bucketID && b.type === "user"))
        return error(404, "not found", "bucket not found");
      if (dbrps.some((d) => d.database === body.database && d.retention_policy === body.retention_policy))
        return error(409, "conflict", "a DBRP mapping with this database and retention policy already exists");
      const dbrp: DoubleDbrp = {
        id: newID(),
        orgID: org.id,
        bucketID: String(body.bucketID),
        database: String(body.database),
        retention_policy: String(body.retention_policy),
        default: body.default === true,
      };
      if (dbrp.default) for (const d of dbrps) if (d.database === dbrp.database) d.default = false;
      dbrps.push(dbrp);
      return { status: 201, body: dbrp };
    },
    DeleteDBRPID: (params, query) => {
      if (query.orgID === undefined && query.org === undefined)
        return error(400, "invalid", "either org or orgID must be provided");
      const at = dbrps.findIndex((d) => d.id === params.dbrpID);
      if (at < 0) return error(404, "not found", "DBRP not found");
      dbrps.splice(at, 1);
      return { status: 204 };
    },
    GetAuthorizations: (_p, query) => ({
      status: 200,
      body: {
        links: { self: "/api/v2/authorizations" },
        authorizations: authorizations
          .filter((a) => a.orgID === org.id && inOrg(query))
          .map((a) => authorizationBody(a, "/api/v2/authorizations")),
      },
    }),
    PostAuthorizations: (_p, _q, body) => {
      if (body.orgID !== org.id) return error(400, "invalid", "organization not found");
      const permissions = body.permissions as DoublePermission[];
      const problem = permissionProblem(permissions);
      if (problem) return error(400, "invalid", problem);
      const authorization: DoubleAuthorization = {
        id: newID(),
        orgID: org.id,
        token: randomBytes(48).toString("base64url"),
        status: (body.status as "active" | "inactive" | undefined) ?? "active",
        ...(typeof body.description === "string" ? { description: body.description } : {}),
        permissions,
        createdAt: now(),
        updatedAt: now(),
      };
      authorizations.push(authorization);
      return { status: 201, body: authorizationBody(authorization, "/api/v2/authorizations") };
    },
    PatchAuthorizationsID: (params, _q, body) => patch(authorizations, params.authID, body, "/api/v2/authorizations"),
    DeleteAuthorizationsID: (params) => remove(authorizations, params.authID),
    GetLegacyAuthorizations: (_p, query) => ({
      status: 200,
      body: {
        links: { self: "/private/legacy/authorizations" },
        authorizations: v1Authorizations
          .filter((a) => a.orgID === org.id && inOrg(query))
          .map((a) => authorizationBody(a, "/private/legacy/authorizations")),
      },
    }),
    PostLegacyAuthorizations: (_p, _q, body) => {
      if (body.orgID !== org.id) return error(400, "invalid", "organization not found");
      if (typeof body.token !== "string" || body.token === "")
        return error(400, "invalid", "token (user name) is required");
      if (v1Authorizations.some((a) => a.token === body.token))
        return error(409, "conflict", "authorization with token already exists");
      const permissions = body.permissions as DoublePermission[];
      const problem = permissionProblem(permissions);
      if (problem) return error(400, "invalid", problem);
      const authorization: DoubleAuthorization = {
        id: newID(),
        orgID: org.id,
        token: body.token,
        status: (body.status as "active" | "inactive" | undefined) ?? "active",
        ...(typeof body.description === "string" ? { description: body.description } : {}),
        permissions,
        createdAt: now(),
        updatedAt: now(),
      };
      v1Authorizations.push(authorization);
      return { status: 201, body: authorizationBody(authorization, "/private/legacy/authorizations") };
    },
    PatchLegacyAuthorizationsID: (params, _q, body) =>
      patch(v1Authorizations, params.authID, body, "/private/legacy/authorizations"),
    DeleteLegacyAuthorizationsID: (params) => remove(v1Authorizations, params.authID),
    PostLegacyAuthorizationsIDPassword: (params, _q, body) => {
      const authorization = v1Authorizations.find((a) => a.id === params.authID);
      if (!authorization) return error(404, "not found", "authorization not found");
      authorization.password = String(body.password);
      return { status: 204 };
    },
  };
  function patch(list: DoubleAuthorization[], id: unknown, body: Json, self: string): Answer {
    const authorization = list.find((a) => a.id === id);
    if (!authorization) return error(404, "not found", "authorization not found");
    if (body.status === "active" || body.status === "inactive") authorization.status = body.status;
    if (typeof body.description === "string") authorization.description = body.description;
    authorization.updatedAt = now();
    return { status: 200, body: authorizationBody(authorization, self) };
  }
  function remove(list: DoubleAuthorization[], id: unknown): Answer {
    const at = list.findIndex((a) => a.id === id);
    if (at < 0) return error(404, "not found", "authorization not found");
    list.splice(at, 1);
    return { status: 204 };
  }

  const server = createServer(async (incoming, outgoing) => {
    const url = new URL(incoming.url ?? "/", "http://double");
    const method = (incoming.method ?? "GET").toLowerCase();
    const where = `${method.toUpperCase()} ${url.pathname}${url.search}`;
    const text = await readBody(incoming);
    const send = (answer: Answer) => {
      outgoing.writeHead(answer.status, answer.body === undefined ? {} : { "content-type": "application/json" });
      outgoing.end(answer.body === undefined ? undefined : JSON.stringify(answer.body));
    };
    const refuse = (reason: string, status = 400) => {
      violations.push(`${where}: ${reason}`);
      send(error(status, status === 401 ? "unauthorized" : "invalid", reason));
    };

    const checked = checkRequest(apis, incoming, url, text);
    if ("reason" in checked) return refuse(checked.reason, checked.status);
    const { api, operation, body } = checked;
    // The descriptions' security scheme: `Authorization: Token <token>`, here the operator's.
    if (incoming.headers.authorization !== `Token ${options.operatorToken}`)
      return refuse("no operator token in the Authorization header", 401);
    const handler = operation.operationId ? handlers[operation.operationId] : undefined;
    if (!handler) return refuse(`${operation.operationId ?? "this operation"} is not part of the double`, 501);
    const parsed = api.router.parseRequest(checked.request, operation);
    const answer = handler(parsed.params as Json, queryValues(url), (body ?? {}) as Json);
    // An answer without a body is checked as null (what a response without content allows).
    const problem = responseProblem(checked, answer.status, answer.body);
    if (problem !== undefined) {
      violations.push(`${where}: the double's own ${answer.status} answer is not as described: ${problem}`);
      return send(error(500, "internal error", "the double's answer is not as described"));
    }
    send(answer);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    org,
    buckets,
    dbrps,
    authorizations,
    v1Authorizations,
    violations,
    secrets: () => [
      ...authorizations.map((a) => a.token),
      ...v1Authorizations.flatMap((a) => (a.password === undefined ? [] : [a.password])),
    ],
    close: () => new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve()))),
  };
}

function newID(): string {
  return randomBytes(8).toString("hex");
}

/**
 * The description as a document whose paths are full paths (a path's own
 * `servers`, `/private` for the v1 authorizations, put in front), with every
 * object closed to the properties it declares.
 */
function loadDescription(path: string): Json {
  const document = parse(readFileSync(path, "utf8")) as Json;
  const paths = document.paths as Record<string, Json>;
  document.paths = Object.fromEntries(
    Object.entries(paths).map(([key, item]) => {
      const servers = item.servers as Array<{ url: string }> | undefined;
      delete item.servers;
      const prefix = servers?.[0]?.url.replace(/\/$/, "") ?? "";
      return [`${prefix}${key}`, item];
    }),
  );
  closeObjects(document);
  return document;
}

function backend(path: string, apiRoot: string): Promise<OpenAPIBackend> {
  return apiBackend(`${apiRoot} ${path}`, () => loadDescription(path), {
    apiRoot,
    // Its `uri` links are relative in InfluxDB's own examples (`/api/v2/buckets/1`).
    formats: { uri: (value: string) => URL.canParse(value, "http://influxdb") },
  });
}
