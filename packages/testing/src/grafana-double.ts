/**
 * A stateful stand-in for Grafana's HTTP API, for tests only: no Grafana runs
 * here. It keeps organisations with their data sources, folders, folder
 * permissions, dashboards, teams, service accounts and tokens, alert rules,
 * contact points and notification policy in memory, and it checks every
 * request it receives and every answer it gives against Grafana's own OpenAPI
 * description (read from the path given, never copied into the project),
 * closed to the fields that description declares. What the description does
 * not allow it refuses (400) and records as a violation.
 *
 * Callers: a server admin user (basic auth), acting in the organisation its
 * `X-Grafana-Org-Id` header names (default its first), and service accounts,
 * whose `Bearer` token acts in the token's organisation only, with the service
 * account's role. Roles as Grafana OSS grants them by default: Viewers read
 * folders, dashboards and search; Editors write folders and dashboards; Admins
 * everything else in their organisation; organisations only a server admin.
 * Folder permissions are stored and answered, not enforced per user.
 */
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import {
  apiBackend,
  checkRequest,
  closeObjects,
  type Json,
  queryValues,
  readBody,
  responseProblem,
} from "./openapi-validation.ts";

export type GrafanaRole = "Viewer" | "Editor" | "Admin";
const RANK: Record<GrafanaRole | "None", number> = { None: 0, Viewer: 1, Editor: 2, Admin: 3 };

export interface GrafanaDoubleUser {
  readonly id: number;
  readonly login: string;
  readonly email: string;
  readonly password: string;
  readonly isServerAdmin: boolean;
  /** Organisation id to the user's role there. */
  readonly orgs: Map<number, GrafanaRole>;
}
export interface GrafanaDoubleDataSource {
  id: number;
  uid: string;
  name: string;
  type: string;
  access: string;
  url: string;
  user: string;
  database: string;
  basicAuth: boolean;
  basicAuthUser: string;
  withCredentials: boolean;
  isDefault: boolean;
  jsonData: Json;
  /** Write-only through the API: answers name the fields that are set, never their values. */
  secureJsonData: Record<string, string>;
  version: number;
}
export interface GrafanaDoubleFolder {
  id: number;
  uid: string;
  title: string;
  description: string;
  version: number;
  created: string;
  updated: string;
  permissions: GrafanaDoublePermission[];
}
export interface GrafanaDoublePermission {
  userId?: number;
  teamId?: number;
  role?: GrafanaRole;
  /** 1 view, 2 edit, 4 admin. */
  permission: 1 | 2 | 4;
}
export interface GrafanaDoubleDashboard {
  id: number;
  uid: string;
  folderUid: string;
  /** The JSON model as Grafana keeps it: with the id, uid and version it filled in. */
  model: Json;
  version: number;
  created: string;
  updated: string;
  updatedBy: string;
}
export interface GrafanaDoubleTeam {
  id: number;
  uid: string;
  name: string;
  email: string;
  members: Set<number>;
}
export interface GrafanaDoubleServiceAccount {
  id: number;
  name: string;
  login: string;
  role: GrafanaRole;
  isDisabled: boolean;
  tokens: Array<{ id: number; name: string; key: string; created: string }>;
}
export interface GrafanaDoubleContactPoint {
  uid: string;
  name: string;
  type: string;
  settings: Json;
  disableResolveMessage: boolean;
  provenance: string;
}
export interface GrafanaDoubleOrg {
  readonly id: number;
  name: string;
  readonly dataSources: GrafanaDoubleDataSource[];
  readonly folders: GrafanaDoubleFolder[];
  readonly dashboards: GrafanaDoubleDashboard[];
  readonly teams: GrafanaDoubleTeam[];
  readonly serviceAccounts: GrafanaDoubleServiceAccount[];
  /** Grafana's ProvisionedAlertRule bodies, as stored. */
  readonly alertRules: Json[];
  readonly contactPoints: GrafanaDoubleContactPoint[];
  policy: Json;
}

export interface GrafanaDouble {
  readonly url: string;
  /** The server admin (basic auth). */
  readonly admin: { readonly login: string; readonly password: string };
  readonly orgs: readonly GrafanaDoubleOrg[];
  readonly users: readonly GrafanaDoubleUser[];
  /** Requests or answers Grafana's description does not allow, as `METHOD path: reason`. */
  readonly violations: string[];
  /** A user, as a server admin would create one, a member of the organisations given. */
  addUser(login: string, orgs?: ReadonlyArray<readonly [orgId: number, role: GrafanaRole]>): GrafanaDoubleUser;
  /** A change made by hand in Grafana's UI: the dashboard's model edited and its version raised. */
  editInUi(orgId: number, uid: string, edit: (model: Json) => void): void;
  /** Every token and data source secret the double holds. */
  secrets(): string[];
  close(): Promise<void>;
}

interface Answer {
  status: number;
  body?: unknown;
}
type Caller =
  | { kind: "user"; user: GrafanaDoubleUser; org: GrafanaDoubleOrg; role: GrafanaRole | "None" }
  | { kind: "service account"; account: GrafanaDoubleServiceAccount; org: GrafanaDoubleOrg; role: GrafanaRole };
type Handler = (context: {
  caller: Caller;
  org: GrafanaDoubleOrg;
  params: Json;
  query: Json;
  url: URL;
  body: Json;
  headers: IncomingHttpHeaders;
}) => Answer;

/** Starts the double on a free loopback port. `spec` is Grafana's OpenAPI 3 description. */
export async function startGrafanaDouble(options: {
  spec: string;
  adminPassword: string;
  /** What `/api/health` answers (default 11.4.0, the description's). */
  version?: string;
}): Promise<GrafanaDouble> {
  const api = await apiBackend(`grafana ${options.spec}`, () => loadDescription(options.spec), {
    apiRoot: "/api",
    // Grafana's `for` of an alert rule is a Go duration ("5m"), not ISO 8601.
    formats: { duration: (value: string) => /^(0|(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+)$/.test(value) },
  });
  const now = () => new Date().toISOString();
  let nextId = 1;
  const id = () => nextId++;
  const violations: string[] = [];
  const orgs: GrafanaDoubleOrg[] = [];
  const users: GrafanaDoubleUser[] = [];

  const newOrg = (name: string): GrafanaDoubleOrg => {
    const email: GrafanaDoubleContactPoint = {
      uid: newUid(),
      name: "grafana-default-email",
      type: "email",
      settings: { addresses: "<example@email.com>" },
      disableResolveMessage: false,
      provenance: "",
    };
    const org: GrafanaDoubleOrg = {
      id: orgs.length + 1,
      name,
      dataSources: [],
      folders: [],
      dashboards: [],
      teams: [],
      serviceAccounts: [],
      alertRules: [],
      contactPoints: [email],
      policy: { receiver: email.name, group_by: ["grafana_folder", "alertname"] },
    };
    orgs.push(org);
    return org;
  };
  const addUser = (login: string, memberships: ReadonlyArray<readonly [number, GrafanaRole]> = []) => {
    const user: GrafanaDoubleUser = {
      id: id(),
      login,
      email: `${login}@example.org`,
      password: randomBytes(12).toString("base64url"),
      isServerAdmin: false,
      orgs: new Map(memberships),
    };
    users.push(user);
    return user;
  };
  const mainOrg = newOrg("Main Org.");
  const admin: GrafanaDoubleUser = {
    id: id(),
    login: "admin",
    email: "admin@localhost",
    password: options.adminPassword,
    isServerAdmin: true,
    orgs: new Map([[mainOrg.id, "Admin"]]),
  };
  users.push(admin);

  const error = (status: number, message: string): Answer => ({ status, body: { message } });
  const message = (text: string): Answer => ({ status: 200, body: { message: text } });
  const orgOf = (value: unknown) => orgs.find((o) => o.id === Number(value));
  const folderOf = (org: GrafanaDoubleOrg, uid: unknown) => org.folders.find((f) => f.uid === uid);
  const teamOf = (org: GrafanaDoubleOrg, teamId: unknown) => org.teams.find((t) => String(t.id) === String(teamId));
  const login = (caller: Caller) => (caller.kind === "user" ? caller.user.login : caller.account.login);

  const dataSourceBody = (org: GrafanaDoubleOrg, d: GrafanaDoubleDataSource) => ({
    id: d.id,
    uid: d.uid,
    orgId: org.id,
    name: d.name,
    type: d.type,
    typeLogoUrl: `public/app/plugins/datasource/${d.type}/img/logo.svg`,
    access: d.access,
    url: d.url,
    user: d.user,
    database: d.database,
    basicAuth: d.basicAuth,
    basicAuthUser: d.basicAuthUser,
    withCredentials: d.withCredentials,
    isDefault: d.isDefault,
    jsonData: d.jsonData,
    secureJsonFields: Object.fromEntries(Object.keys(d.secureJsonData).map((key) => [key, true])),
    version: d.version,
    readOnly: false,
  });
  const folderBody = (org: GrafanaDoubleOrg, f: GrafanaDoubleFolder) => ({
    id: f.id,
    uid: f.uid,
    orgId: org.id,
    title: f.title,
    url: `/dashboards/f/${f.uid}/${slug(f.title)}`,
    hasAcl: false,
    canSave: true,
    canEdit: true,
    canAdmin: true,
    canDelete: true,
    createdBy: "admin",
    created: f.created,
    updatedBy: "admin",
    updated: f.updated,
    version: f.version,
  });
  const teamBody = (org: GrafanaDoubleOrg, t: GrafanaDoubleTeam) => ({
    id: t.id,
    uid: t.uid,
    orgId: org.id,
    name: t.name,
    email: t.email,
    avatarUrl: `/avatar/${t.uid}`,
    memberCount: t.members.size,
    permission: 0,
  });
  const serviceAccountBody = (org: GrafanaDoubleOrg, s: GrafanaDoubleServiceAccount) => ({
    id: s.id,
    name: s.name,
    login: s.login,
    orgId: org.id,
    role: s.role,
    isDisabled: s.isDisabled,
    isExternal: false,
    tokens: s.tokens.length,
    avatarUrl: `/avatar/${s.login}`,
  });
  const dashboardUrl = (d: GrafanaDoubleDashboard) => `/d/${d.uid}/${slug(String(d.model.title))}`;
  const paged = <T>(items: T[], query: Json, size = "perpage") => {
    const perPage = Number(query[size] ?? 1000);
    const page = Number(query.page ?? 1);
    return { page, perPage, totalCount: items.length, items: items.slice((page - 1) * perPage, page * perPage) };
  };
  const receivers = (route: Json): string[] => [
    ...(typeof route.receiver === "string" ? [route.receiver] : []),
    ...((route.routes as Json[] | undefined) ?? []).flatMap(receivers),
  ];
  const provenance = (headers: IncomingHttpHeaders) => (headers["x-disable-provenance"] === undefined ? "api" : "");

  // The least role each operation needs; "server admin" for organisations.
  const needs: Record<string, GrafanaRole | "server admin"> = {
    searchOrgs: "server admin",
    createOrg: "server admin",
    getOrgByName: "server admin",
    getOrgUsers: "server admin",
    addOrgUser: "server admin",
    getFolders: "Viewer",
    getFolderByUID: "Viewer",
    getDashboardByUID: "Viewer",
    search: "Viewer",
    createFolder: "Editor",
    updateFolder: "Editor",
    deleteFolder: "Editor",
    postDashboard: "Editor",
    deleteDashboardByUID: "Editor",
  };

  const handlers: Record<string, Handler> = {
    searchOrgs: ({ query }) => {
      const found = orgs.filter(
        (o) =>
          (query.name === undefined || o.name === query.name) &&
          (query.query === undefined || o.name.toLowerCase().includes(String(query.query).toLowerCase())),
      );
      return { status: 200, body: paged(found, query).items.map((o) => ({ id: o.id, name: o.name })) };
    },
    createOrg: ({ caller, body }) => {
      const name = String(body.name ?? "");
      if (name === "") return error(400, "organization name is required");
      if (orgs.some((o) => o.name === name)) return error(409, "Organization name taken");
      const org = newOrg(name);
      // Grafana makes the user who creates an organisation its Admin.
      if (caller.kind === "user") caller.user.orgs.set(org.id, "Admin");
      return { status: 200, body: { orgId: org.id, message: "Organization created" } };
    },
    getOrgByName: ({ params }) => {
      const org = orgs.find((o) => o.name === params.org_name);
      if (!org) return error(404, "Organization not found");
      const address = { address1: "", address2: "", city: "", zipCode: "", state: "", country: "" };
      return { status: 200, body: { id: org.id, name: org.name, address } };
    },
    getOrgUsers: ({ params }) => {
      const org = orgOf(params.org_id);
      if (!org) return error(404, "Organization not found");
      return {
        status: 200,
        body: users
          .filter((u) => u.orgs.has(org.id))
          .map((u) => ({
            orgId: org.id,
            userId: u.id,
            login: u.login,
            email: u.email,
            name: "",
            avatarUrl: `/avatar/${u.login}`,
            role: u.orgs.get(org.id),
            lastSeenAt: now(),
            lastSeenAtAge: "< 1 minute",
            isDisabled: false,
            authLabels: [],
            isExternallySynced: false,
          })),
      };
    },
    addOrgUser: ({ params, body }) => {
      const org = orgOf(params.org_id);
      if (!org) return error(404, "Organization not found");
      const user = users.find((u) => u.login === body.loginOrEmail || u.email === body.loginOrEmail);
      if (!user) return error(404, "User not found");
      if (user.orgs.has(org.id)) return error(409, "User is already member of this organization");
      user.orgs.set(org.id, (body.role as GrafanaRole | undefined) ?? "Viewer");
      return message("User added to organization");
    },

    getDataSources: ({ org }) => ({
      status: 200,
      body: org.dataSources.map((d) => ({
        id: d.id,
        uid: d.uid,
        orgId: org.id,
        name: d.name,
        type: d.type,
        typeName: d.type,
        typeLogoUrl: `public/app/plugins/datasource/${d.type}/img/logo.svg`,
        access: d.access,
        url: d.url,
        user: d.user,
        database: d.database,
        basicAuth: d.basicAuth,
        isDefault: d.isDefault,
        jsonData: d.jsonData,
        readOnly: false,
      })),
    }),
    addDataSource: ({ org, body }) => {
      if (org.dataSources.some((d) => d.name === body.name))
        return error(409, "data source with the same name already exists");
      const uid = typeof body.uid === "string" && body.uid !== "" ? body.uid : newUid();
      if (org.dataSources.some((d) => d.uid === uid)) return error(409, "data source with the same uid already exists");
      const dataSource: GrafanaDoubleDataSource = {
        id: id(),
        uid,
        name: String(body.name),
        type: String(body.type),
        access: String(body.access ?? "proxy"),
        url: String(body.url ?? ""),
        user: String(body.user ?? ""),
        database: String(body.database ?? ""),
        basicAuth: body.basicAuth === true,
        basicAuthUser: String(body.basicAuthUser ?? ""),
        withCredentials: body.withCredentials === true,
        isDefault: body.isDefault === true,
        jsonData: (body.jsonData as Json | undefined) ?? {},
        secureJsonData: { ...((body.secureJsonData as Record<string, string> | undefined) ?? {}) },
        version: 1,
      };
      org.dataSources.push(dataSource);
      return {
        status: 200,
        body: {
          id: dataSource.id,
          name: dataSource.name,
          message: "Datasource added",
          datasource: dataSourceBody(org, dataSource),
        },
      };
    },
    getDataSourceByUID: ({ org, params }) => {
      const dataSource = org.dataSources.find((d) => d.uid === params.uid);
      return dataSource ? { status: 200, body: dataSourceBody(org, dataSource) } : error(404, "Data source not found");
    },
    updateDataSourceByUID: ({ org, params, body }) => {
      const dataSource = org.dataSources.find((d) => d.uid === params.uid);
      if (!dataSource) return error(404, "Data source not found");
      if (body.version !== undefined && body.version !== dataSource.version)
        return error(409, "Datasource has already been updated by someone else. Please reload and try again");
      if (org.dataSources.some((d) => d !== dataSource && d.name === body.name))
        return error(409, "data source with the same name already exists");
      Object.assign(dataSource, {
        name: String(body.name),
        type: String(body.type),
        access: String(body.access ?? "proxy"),
        url: String(body.url ?? ""),
        user: String(body.user ?? ""),
        database: String(body.database ?? ""),
        basicAuth: body.basicAuth === true,
        basicAuthUser: String(body.basicAuthUser ?? ""),
        withCredentials: body.withCredentials === true,
        isDefault: body.isDefault === true,
        jsonData: (body.jsonData as Json | undefined) ?? {},
        // Secrets not sent keep their value.
        secureJsonData: {
          ...dataSource.secureJsonData,
          ...((body.secureJsonData as Record<string, string> | undefined) ?? {}),
        },
        version: dataSource.version + 1,
      });
      return {
        status: 200,
        body: {
          id: dataSource.id,
          name: dataSource.name,
          message: "Datasource updated",
          datasource: dataSourceBody(org, dataSource),
        },
      };
    },
    deleteDataSourceByUID: ({ org, params }) => {
      const at = org.dataSources.findIndex((d) => d.uid === params.uid);
      if (at < 0) return error(404, "Data source not found");
      org.dataSources.splice(at, 1);
      return message("Data source deleted");
    },

    getFolders: ({ org, query }) => ({
      status: 200,
      body: paged(org.folders, query, "limit").items.map((f) => ({ id: f.id, uid: f.uid, title: f.title })),
    }),
    createFolder: ({ org, body, caller }) => {
      const title = String(body.title ?? "");
      if (title === "") return error(400, "folder title cannot be empty");
      if (org.folders.some((f) => f.title === title)) return error(409, "a folder with the same name already exists");
      const uid = typeof body.uid === "string" && body.uid !== "" ? body.uid : newUid();
      if (org.folders.some((f) => f.uid === uid)) return error(409, "a folder with the same uid already exists");
      const folder: GrafanaDoubleFolder = {
        id: id(),
        uid,
        title,
        description: String(body.description ?? ""),
        version: 1,
        created: now(),
        updated: now(),
        // Grafana's defaults for a new folder: its creator admin, Editors edit, Viewers view.
        permissions: [
          ...(caller.kind === "user" ? [{ userId: caller.user.id, permission: 4 as const }] : []),
          { role: "Editor", permission: 2 },
          { role: "Viewer", permission: 1 },
        ],
      };
      org.folders.push(folder);
      return { status: 200, body: folderBody(org, folder) };
    },
    getFolderByUID: ({ org, params }) => {
      const folder = folderOf(org, params.folder_uid);
      return folder ? { status: 200, body: folderBody(org, folder) } : error(404, "folder not found");
    },
    updateFolder: ({ org, params, body }) => {
      const folder = folderOf(org, params.folder_uid);
      if (!folder) return error(404, "folder not found");
      if (body.overwrite !== true && body.version !== undefined && body.version !== folder.version)
        return error(409, "the folder has been changed by someone else");
      if (typeof body.title === "string") {
        if (org.folders.some((f) => f !== folder && f.title === body.title))
          return error(409, "a folder with the same name already exists");
        folder.title = body.title;
      }
      if (typeof body.description === "string") folder.description = body.description;
      folder.version += 1;
      folder.updated = now();
      return { status: 200, body: folderBody(org, folder) };
    },
    deleteFolder: ({ org, params, query }) => {
      const folder = folderOf(org, params.folder_uid);
      if (!folder) return error(404, "folder not found");
      const rules = org.alertRules.filter((r) => r.folderUID === folder.uid);
      if (rules.length > 0 && query.forceDeleteRules !== true)
        return error(400, "folder cannot be deleted: folder contains alert rules");
      remove(org.alertRules, (r) => r.folderUID === folder.uid);
      remove(org.dashboards, (d) => d.folderUid === folder.uid);
      remove(org.folders, (f) => f === folder);
      return { status: 200, body: { id: folder.id, title: folder.title, message: `Folder ${folder.title} deleted` } };
    },
    getFolderPermissionList: ({ org, params }) => {
      const folder = folderOf(org, params.folder_uid);
      if (!folder) return error(404, "folder not found");
      const names = { 1: "View", 2: "Edit", 4: "Admin" } as const;
      return {
        status: 200,
        body: folder.permissions.map((p) => {
          const team = p.teamId === undefined ? undefined : teamOf(org, p.teamId);
          const user = p.userId === undefined ? undefined : users.find((u) => u.id === p.userId);
          return {
            folderUid: folder.uid,
            uid: folder.uid,
            title: folder.title,
            slug: slug(folder.title),
            url: `/dashboards/f/${folder.uid}/${slug(folder.title)}`,
            isFolder: true,
            inherited: false,
            created: folder.created,
            updated: folder.updated,
            permission: p.permission,
            permissionName: names[p.permission],
            ...(p.role ? { role: p.role } : {}),
            ...(team ? { teamId: team.id, team: team.name, teamEmail: team.email } : {}),
            ...(user ? { userId: user.id, userLogin: user.login, userEmail: user.email } : {}),
          };
        }),
      };
    },
    updateFolderPermissions: ({ org, params, body }) => {
      const folder = folderOf(org, params.folder_uid);
      if (!folder) return error(404, "folder not found");
      const items = (body.items as GrafanaDoublePermission[] | undefined) ?? [];
      for (const item of items) {
        const targets = [item.userId, item.teamId, item.role].filter((t) => t !== undefined);
        if (targets.length !== 1) return error(400, "each permission names exactly one of userId, teamId and role");
        if (![1, 2, 4].includes(item.permission)) return error(400, "permission must be 1, 2 or 4");
        if (item.teamId !== undefined && !teamOf(org, item.teamId)) return error(404, "Team not found");
        if (item.userId !== undefined && !users.some((u) => u.id === item.userId && u.orgs.has(org.id)))
          return error(404, "User not found");
        if (item.role === ("Admin" as GrafanaRole) || (item.role as string) === "None")
          return error(400, "a role permission is for Viewer or Editor");
      }
      folder.permissions = items.map((item) => ({ ...item }));
      return message("Folder permissions updated");
    },

    postDashboard: ({ org, body, caller }) => {
      const model = structuredClone((body.dashboard ?? {}) as Json);
      if (typeof model.title !== "string" || model.title.trim() === "")
        return error(400, "Dashboard title cannot be empty");
      const folderUid = String(body.folderUid ?? "");
      if (folderUid !== "" && !folderOf(org, folderUid)) return error(400, "folder not found");
      const uid = typeof model.uid === "string" && model.uid !== "" ? model.uid : newUid();
      const existing = org.dashboards.find((d) => d.uid === uid);
      const overwrite = body.overwrite === true;
      if (!existing && model.id !== undefined && model.id !== null) return error(404, "Dashboard not found");
      if (existing && !overwrite && model.version !== existing.version)
        return {
          status: 412,
          body: {
            status: "version-mismatch",
            message: "The dashboard has been changed by someone else",
          },
        };
      const sameName = org.dashboards.find(
        (d) => d !== existing && d.folderUid === folderUid && d.model.title === model.title,
      );
      if (sameName && !overwrite)
        return {
          status: 412,
          body: { status: "name-exists", message: "A dashboard with the same name in the folder already exists" },
        };
      if (sameName) remove(org.dashboards, (d) => d === sameName);
      const version = existing ? existing.version + 1 : 1;
      const dashboardId = existing?.id ?? id();
      // The fields Grafana fills in (id, uid, version): a plan that compares must leave them out.
      const dashboard: GrafanaDoubleDashboard = {
        id: dashboardId,
        uid,
        folderUid,
        model: { ...model, id: dashboardId, uid, version },
        version,
        created: existing?.created ?? now(),
        updated: now(),
        updatedBy: login(caller),
      };
      if (existing) Object.assign(existing, dashboard);
      else org.dashboards.push(dashboard);
      return {
        status: 200,
        body: {
          id: dashboard.id,
          uid,
          url: dashboardUrl(dashboard),
          status: "success",
          version,
          title: slug(String(model.title)),
          folderUid,
        },
      };
    },
    getDashboardByUID: ({ org, params }) => {
      const dashboard = org.dashboards.find((d) => d.uid === params.uid);
      if (!dashboard) return error(404, "Dashboard not found");
      const folder = folderOf(org, dashboard.folderUid);
      return {
        status: 200,
        body: {
          dashboard: dashboard.model,
          meta: {
            type: "db",
            canSave: true,
            canEdit: true,
            canAdmin: true,
            canStar: true,
            canDelete: true,
            slug: slug(String(dashboard.model.title)),
            url: dashboardUrl(dashboard),
            expires: "0001-01-01T00:00:00Z",
            created: dashboard.created,
            updated: dashboard.updated,
            updatedBy: dashboard.updatedBy,
            createdBy: dashboard.updatedBy,
            version: dashboard.version,
            hasAcl: false,
            isFolder: false,
            folderUid: dashboard.folderUid,
            folderTitle: folder?.title ?? "Dashboards",
            folderUrl: folder ? `/dashboards/f/${folder.uid}/${slug(folder.title)}` : "",
            provisioned: false,
            provisionedExternalId: "",
          },
        },
      };
    },
    deleteDashboardByUID: ({ org, params }) => {
      const dashboard = org.dashboards.find((d) => d.uid === params.uid);
      if (!dashboard) return error(404, "Dashboard not found");
      remove(org.dashboards, (d) => d === dashboard);
      const title = String(dashboard.model.title);
      return { status: 200, body: { uid: dashboard.uid, title, message: `Dashboard ${title} deleted` } };
    },
    search: ({ org, url }) => {
      const list = (name: string) => url.searchParams.getAll(name).flatMap((v) => v.split(","));
      const text = (url.searchParams.get("query") ?? "").toLowerCase();
      const type = url.searchParams.get("type");
      const tags = url.searchParams.getAll("tag");
      const dashboardUIDs = list("dashboardUIDs");
      const folderUIDs = list("folderUIDs");
      const foldersWanted =
        type !== "dash-db" && tags.length === 0 && dashboardUIDs.length === 0 && folderUIDs.length === 0;
      const folders = org.folders
        .filter((f) => foldersWanted && f.title.toLowerCase().includes(text))
        .map((f) => ({
          id: f.id,
          uid: f.uid,
          title: f.title,
          uri: `db/${slug(f.title)}`,
          url: `/dashboards/f/${f.uid}/${slug(f.title)}`,
          slug: "",
          type: "dash-folder",
          tags: [],
          isStarred: false,
          sortMeta: 0,
          isDeleted: false,
        }));
      const dashboards = org.dashboards
        .filter((d) => type !== "dash-folder" && String(d.model.title).toLowerCase().includes(text))
        .filter((d) => dashboardUIDs.length === 0 || dashboardUIDs.includes(d.uid))
        .filter((d) => folderUIDs.length === 0 || folderUIDs.includes(d.folderUid))
        .filter((d) => tags.every((t) => ((d.model.tags as string[] | undefined) ?? []).includes(t)))
        .map((d) => {
          const folder = folderOf(org, d.folderUid);
          return {
            id: d.id,
            uid: d.uid,
            title: String(d.model.title),
            uri: `db/${slug(String(d.model.title))}`,
            url: dashboardUrl(d),
            slug: "",
            type: "dash-db",
            tags: (d.model.tags as string[] | undefined) ?? [],
            isStarred: false,
            sortMeta: 0,
            isDeleted: false,
            ...(folder
              ? {
                  folderId: folder.id,
                  folderUid: folder.uid,
                  folderTitle: folder.title,
                  folderUrl: `/dashboards/f/${folder.uid}/${slug(folder.title)}`,
                }
              : {}),
          };
        });
      const hits = [...folders, ...dashboards].sort((a, b) => a.title.localeCompare(b.title));
      const limit = Number(url.searchParams.get("limit") ?? 1000);
      const page = Number(url.searchParams.get("page") ?? 1);
      return { status: 200, body: hits.slice((page - 1) * limit, page * limit) };
    },

    createTeam: ({ org, body }) => {
      if (org.teams.some((t) => t.name === body.name)) return error(409, "Team name taken");
      const team: GrafanaDoubleTeam = {
        id: id(),
        uid: newUid(),
        name: String(body.name),
        email: String(body.email ?? ""),
        members: new Set(),
      };
      org.teams.push(team);
      return { status: 200, body: { teamId: team.id, uid: team.uid, message: "Team created" } };
    },
    searchTeams: ({ org, query }) => {
      const found = org.teams.filter(
        (t) =>
          (query.name === undefined || t.name === query.name) &&
          (query.query === undefined || t.name.toLowerCase().includes(String(query.query).toLowerCase())),
      );
      const { items, ...paging } = paged(found, query);
      return { status: 200, body: { ...paging, teams: items.map((t) => teamBody(org, t)) } };
    },
    getTeamByID: ({ org, params }) => {
      const team = teamOf(org, params.team_id);
      return team ? { status: 200, body: teamBody(org, team) } : error(404, "Team not found");
    },
    deleteTeamByID: ({ org, params }) => {
      const team = teamOf(org, params.team_id);
      if (!team) return error(404, "Team not found");
      remove(org.teams, (t) => t === team);
      for (const folder of org.folders) remove(folder.permissions, (p) => p.teamId === team.id);
      return message("Team deleted");
    },
    getTeamMembers: ({ org, params }) => {
      const team = teamOf(org, params.team_id);
      if (!team) return error(404, "Team not found");
      return {
        status: 200,
        body: users
          .filter((u) => team.members.has(u.id))
          .map((u) => ({
            orgId: org.id,
            teamId: team.id,
            teamUID: team.uid,
            userId: u.id,
            auth_module: "",
            email: u.email,
            name: "",
            login: u.login,
            avatarUrl: `/avatar/${u.login}`,
            labels: [],
            permission: 0,
          })),
      };
    },
    addTeamMember: ({ org, params, body }) => {
      const team = teamOf(org, params.team_id);
      if (!team) return error(404, "Team not found");
      const user = users.find((u) => u.id === body.userId && u.orgs.has(org.id));
      if (!user) return error(404, "User not found");
      if (team.members.has(user.id)) return error(400, "User is already added to this team");
      team.members.add(user.id);
      return message("Member added to Team");
    },
    removeTeamMember: ({ org, params }) => {
      const team = teamOf(org, params.team_id);
      if (!team) return error(404, "Team not found");
      if (!team.members.delete(Number(params.user_id))) return error(404, "Team member not found");
      return message("Team Member removed");
    },

    createServiceAccount: ({ org, body }) => {
      const name = String(body.name ?? "");
      if (org.serviceAccounts.some((s) => s.name === name)) return error(400, "service account already exists");
      const account: GrafanaDoubleServiceAccount = {
        id: id(),
        name,
        login: `sa-${org.id}-${slug(name)}`,
        role: (body.role as GrafanaRole | undefined) ?? "Viewer",
        isDisabled: body.isDisabled === true,
        tokens: [],
      };
      org.serviceAccounts.push(account);
      return { status: 201, body: serviceAccountBody(org, account) };
    },
    searchOrgServiceAccountsWithPaging: ({ org, query }) => {
      const found = org.serviceAccounts.filter(
        (s) => query.query === undefined || s.name.toLowerCase().includes(String(query.query).toLowerCase()),
      );
      const { items, ...paging } = paged(found, query);
      return { status: 200, body: { ...paging, serviceAccounts: items.map((s) => serviceAccountBody(org, s)) } };
    },
    deleteServiceAccount: ({ org, params }) => {
      const at = org.serviceAccounts.findIndex((s) => s.id === Number(params.serviceAccountId));
      if (at < 0) return error(404, "service account not found");
      org.serviceAccounts.splice(at, 1);
      return message("Service account deleted");
    },
    listTokens: ({ org, params }) => {
      const account = org.serviceAccounts.find((s) => s.id === Number(params.serviceAccountId));
      if (!account) return error(404, "service account not found");
      return {
        status: 200,
        body: account.tokens.map((t) => ({
          id: t.id,
          name: t.name,
          created: t.created,
          hasExpired: false,
          isRevoked: false,
          secondsUntilExpiration: 0,
        })),
      };
    },
    createToken: ({ org, params, body }) => {
      const account = org.serviceAccounts.find((s) => s.id === Number(params.serviceAccountId));
      if (!account) return error(404, "service account not found");
      const name = String(body.name ?? "");
      if (account.tokens.some((t) => t.name === name)) return error(409, "service account token with this name exists");
      const token = { id: id(), name, key: `glsa_${randomBytes(24).toString("base64url")}`, created: now() };
      account.tokens.push(token);
      return { status: 200, body: { id: token.id, name: token.name, key: token.key } };
    },
    deleteToken: ({ org, params }) => {
      const account = org.serviceAccounts.find((s) => s.id === Number(params.serviceAccountId));
      if (!account) return error(404, "service account not found");
      const at = account.tokens.findIndex((t) => t.id === Number(params.tokenId));
      if (at < 0) return error(404, "service account token not found");
      account.tokens.splice(at, 1);
      return message("Service account token deleted");
    },

    RouteGetAlertRules: ({ org }) => ({ status: 200, body: org.alertRules }),
    RouteGetAlertRule: ({ org, params }) => {
      const rule = org.alertRules.find((r) => r.uid === params.UID);
      return rule ? { status: 200, body: rule } : error(404, "alert rule not found");
    },
    RoutePostAlertRule: ({ org, body, headers }) => {
      const uid = typeof body.uid === "string" ? body.uid : newUid();
      if (org.alertRules.some((r) => r.uid === uid)) return error(409, "an alert rule with this uid already exists");
      const problem = alertRuleProblem(org, body);
      if (problem) return error(400, problem);
      if (titleTaken(org, body, uid)) return error(409, TITLE_TAKEN);
      const rule = { ...body, uid, id: id(), orgID: org.id, provenance: provenance(headers), updated: now() };
      org.alertRules.push(rule);
      return { status: 201, body: rule };
    },
    RoutePutAlertRule: ({ org, params, body, headers }) => {
      const at = org.alertRules.findIndex((r) => r.uid === params.UID);
      const stored = org.alertRules[at];
      if (!stored) return error(404, "alert rule not found");
      const problem = alertRuleProblem(org, body);
      if (problem) return error(400, problem);
      if (titleTaken(org, body, String(stored.uid))) return error(409, TITLE_TAKEN);
      const wanted = provenance(headers);
      if (stored.provenance !== "" && stored.provenance !== wanted)
        return error(400, `cannot change provenance from '${String(stored.provenance)}' to '${wanted}'`);
      const rule = { ...body, uid: stored.uid, id: stored.id, orgID: org.id, provenance: wanted, updated: now() };
      org.alertRules[at] = rule;
      return { status: 200, body: rule };
    },
    RouteDeleteAlertRule: ({ org, params }) => {
      if (!remove(org.alertRules, (r) => r.uid === params.UID)) return error(404, "alert rule not found");
      return { status: 204 };
    },

    RouteGetContactpoints: ({ org, query }) => ({
      status: 200,
      body: org.contactPoints.filter((c) => query.name === undefined || c.name === query.name),
    }),
    RoutePostContactpoints: ({ org, body, headers }) => {
      const uid = typeof body.uid === "string" ? body.uid : newUid();
      if (org.contactPoints.some((c) => c.uid === uid)) return error(400, "a contact point with this uid exists");
      const unset = missingSetting(body);
      if (unset) return error(400, unset);
      const point: GrafanaDoubleContactPoint = {
        uid,
        name: String(body.name ?? ""),
        type: String(body.type),
        settings: (body.settings as Json | undefined) ?? {},
        disableResolveMessage: body.disableResolveMessage === true,
        provenance: provenance(headers),
      };
      org.contactPoints.push(point);
      return { status: 202, body: point };
    },
    RoutePutContactpoint: ({ org, params, body, headers }) => {
      const point = org.contactPoints.find((c) => c.uid === params.UID);
      if (!point) return error(404, "contact point not found");
      const unset = missingSetting(body);
      if (unset) return error(400, unset);
      Object.assign(point, {
        name: String(body.name ?? point.name),
        type: String(body.type),
        settings: (body.settings as Json | undefined) ?? {},
        disableResolveMessage: body.disableResolveMessage === true,
        provenance: provenance(headers),
      });
      return { status: 202, body: { message: "contactpoint updated" } };
    },
    RouteDeleteContactpoints: ({ org, params }) => {
      const point = org.contactPoints.find((c) => c.uid === params.UID);
      if (!point) return error(404, "contact point not found");
      if (receivers(org.policy).includes(point.name))
        return error(409, "contact point is referenced by a notification policy");
      remove(org.contactPoints, (c) => c === point);
      return { status: 202 };
    },
    RouteGetPolicyTree: ({ org }) => ({ status: 200, body: org.policy }),
    RoutePutPolicyTree: ({ org, body, headers }) => {
      const unknown = receivers(body).filter((name) => !org.contactPoints.some((c) => c.name === name));
      if (unknown.length > 0) return error(400, `receiver '${unknown[0]}' does not exist`);
      if (typeof body.receiver !== "string") return error(400, "the root route must name a receiver");
      org.policy = { ...body, provenance: provenance(headers) };
      return { status: 202, body: { message: "policies updated" } };
    },
  };

  /** Grafana keeps an alert rule's title unique within its folder. */
  function titleTaken(org: GrafanaDoubleOrg, body: Json, uid: string): boolean {
    return org.alertRules.some((r) => r.uid !== uid && r.folderUID === body.folderUID && r.title === body.title);
  }

  function alertRuleProblem(org: GrafanaDoubleOrg, body: Json): string | undefined {
    if (!folderOf(org, body.folderUID)) return `folder ${String(body.folderUID)} not found`;
    const data = (body.data as Array<{ refId?: string; datasourceUid?: string }> | undefined) ?? [];
    if (!data.some((q) => q.refId === body.condition))
      return `condition ${String(body.condition)} does not exist, must be one of [${data.map((q) => q.refId).join(",")}]`;
    for (const query of data)
      if (query.datasourceUid !== "__expr__" && !org.dataSources.some((d) => d.uid === query.datasourceUid))
        return `data source ${String(query.datasourceUid)} not found`;
    return undefined;
  }

  /** Who calls, or why not: 401 for no or a wrong credential, 403 for one without the role. */
  function authenticate(headers: IncomingHttpHeaders): Caller | Answer {
    const authorization = headers.authorization ?? "";
    const basic = /^Basic (.+)$/i.exec(authorization);
    const bearer = /^Bearer (.+)$/i.exec(authorization);
    if (basic?.[1]) {
      const [name, ...rest] = Buffer.from(basic[1], "base64").toString("utf8").split(":");
      const user = users.find((u) => u.login === name && u.password === rest.join(":"));
      if (!user) return error(401, "Invalid username or password");
      const header = headers["x-grafana-org-id"];
      const orgId = header === undefined ? [...user.orgs.keys()][0] : Number(header);
      const org = orgOf(orgId);
      if (!org) return error(401, "organization not found");
      const role = user.orgs.get(org.id);
      if (!role) return error(403, `user ${user.login} is not a member of organization ${org.id}`);
      return { kind: "user", user, org, role };
    }
    if (bearer?.[1]) {
      for (const org of orgs)
        for (const account of org.serviceAccounts)
          if (account.tokens.some((t) => t.key === bearer[1])) {
            if (account.isDisabled) return error(401, "service account is disabled");
            // A token never reaches another organisation, whatever header it comes with.
            const header = headers["x-grafana-org-id"];
            if (header !== undefined && Number(header) !== org.id)
              return error(401, "API key does not belong to the requested organization");
            return { kind: "service account", account, org, role: account.role };
          }
      return error(401, "Invalid API key");
    }
    return error(401, "Unauthorized");
  }

  const server = createServer((incoming, outgoing) => {
    serve(incoming, outgoing).catch((cause: unknown) => {
      violations.push(`${incoming.method} ${incoming.url}: the double failed: ${String(cause)}`);
      if (!outgoing.headersSent) outgoing.writeHead(500, { "content-type": "application/json" });
      outgoing.end(JSON.stringify({ message: "the double failed" }));
    });
  });
  async function serve(incoming: IncomingMessage, outgoing: ServerResponse) {
    const url = new URL(incoming.url ?? "/", "http://double");
    const where = `${incoming.method ?? "GET"} ${url.pathname}${url.search}`;
    const text = await readBody(incoming);
    const send = (answer: Answer) => {
      outgoing.writeHead(answer.status, answer.body === undefined ? {} : { "content-type": "application/json" });
      outgoing.end(answer.body === undefined ? undefined : JSON.stringify(answer.body));
    };
    const checked = checkRequest([api], incoming, url, text);
    if ("reason" in checked) {
      violations.push(`${where}: ${checked.reason}`);
      return send(error(checked.status, checked.reason));
    }
    const { operation, request } = checked;
    const operationId = operation.operationId ?? "";
    const answer = (() => {
      if (operationId === "getHealth")
        return {
          status: 200,
          body: { commit: "stadtfluss-double", database: "ok", version: options.version ?? "11.4.0" },
        };
      const handler = handlers[operationId];
      if (!handler) {
        violations.push(`${where}: ${operationId} is not part of the double`);
        return error(501, `${operationId} is not part of the double`);
      }
      const caller = authenticate(incoming.headers);
      if (!("kind" in caller)) return caller;
      const need = needs[operationId] ?? "Admin";
      if (
        need === "server admin"
          ? !(caller.kind === "user" && caller.user.isServerAdmin)
          : RANK[caller.role] < RANK[need]
      )
        return error(
          403,
          `Permission denied: ${operationId} needs ${need === "server admin" ? "a Grafana server admin" : `the ${need} role`}`,
        );
      const parsed = api.router.parseRequest(request, operation);
      return handler({
        caller,
        org: caller.org,
        params: parsed.params as Json,
        query: queryValues(url),
        url,
        body: (checked.body ?? {}) as Json,
        headers: incoming.headers,
      });
    })();
    const problem = answerProblem(checked, answer);
    if (problem !== undefined) {
      violations.push(`${where}: the double's own ${answer.status} answer is not as described: ${problem}`);
      return send(error(500, "the double's answer is not as described"));
    }
    send(answer);
  }
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    admin: { login: admin.login, password: options.adminPassword },
    orgs,
    users,
    violations,
    addUser,
    editInUi: (orgId, uid, edit) => {
      const dashboard = orgOf(orgId)?.dashboards.find((d) => d.uid === uid);
      if (!dashboard) throw new Error(`no dashboard ${uid} in organisation ${orgId}`);
      edit(dashboard.model);
      dashboard.version += 1;
      dashboard.model.version = dashboard.version;
      dashboard.updated = now();
      dashboard.updatedBy = "a user in the UI";
    },
    secrets: () =>
      orgs.flatMap((o) => [
        ...o.serviceAccounts.flatMap((s) => s.tokens.map((t) => t.key)),
        ...o.dataSources.flatMap((d) => Object.values(d.secureJsonData)),
      ]),
    close: () => new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve()))),
  };
}

/**
 * Why an answer is not as Grafana's description has it. A status the
 * operation does not list (Grafana answers 404 where its description forgets
 * it, and the alerting API lists no 401 or 403) must carry Grafana's common
 * error body: `message`, and optionally `status` and `error`, all strings.
 */
function answerProblem(checked: Parameters<typeof responseProblem>[0], answer: Answer): string | undefined {
  const listed = Object.keys(checked.operation.responses ?? {});
  if (listed.includes(String(answer.status)) || listed.includes("default"))
    return responseProblem(checked, answer.status, answer.body);
  const body = answer.body as Record<string, unknown> | undefined;
  const fine =
    typeof body === "object" &&
    body !== null &&
    typeof body.message === "string" &&
    Object.entries(body).every(
      ([key, value]) => ["message", "status", "error"].includes(key) && typeof value === "string",
    );
  return fine ? undefined : "an unlisted status without Grafana's error body";
}

/**
 * Grafana's description, closed to the fields it declares, with two defects
 * of Grafana 11.4's description mended: contact point types carry a leading
 * space (" email"), which Grafana itself does not accept, and a uid pattern
 * escapes `_` and `-`, which a Unicode regular expression refuses.
 */
function loadDescription(path: string): Json {
  const document = JSON.parse(readFileSync(path, "utf8")) as Json;
  const mend = (node: unknown): void => {
    if (!node || typeof node !== "object") return;
    const schema = node as Json;
    if (Array.isArray(schema.enum)) schema.enum = schema.enum.map((v) => (typeof v === "string" ? v.trim() : v));
    if (typeof schema.pattern === "string") schema.pattern = schema.pattern.replace(/\\([_-])/g, "$1");
    for (const child of Object.values(schema)) mend(child);
  };
  mend(document);
  closeObjects(document);
  return document;
}

const TITLE_TAKEN =
  "a conflicting alert rule is found: rule title under the same organisation and folder should be unique";

/** The setting without which Grafana refuses an integration of the kinds Stadtfluss declares. */
function missingSetting(body: Json): string | undefined {
  const settings = (body.settings as Json | undefined) ?? {};
  const required = body.type === "email" ? "addresses" : body.type === "webhook" ? "url" : undefined;
  if (required === undefined) return undefined;
  const value = settings[required];
  return typeof value === "string" && value.trim() !== ""
    ? undefined
    : `failed to validate integration "${String(body.name)}" (${String(body.type)}): could not find ${required} in settings`;
}

function remove<T>(list: T[], match: (item: T) => boolean): boolean {
  const before = list.length;
  for (let i = list.length - 1; i >= 0; i--) if (match(list[i] as T)) list.splice(i, 1);
  return list.length < before;
}

function newUid(): string {
  return randomBytes(7).toString("hex");
}

function slug(title: string): string {
  return title
    .toLowerCase()
    .normalize("NFKD")
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-|-$/g, "");
}
