import {
  GrafanaApiError,
  type GrafanaClient,
  type GrafanaSchemas,
  grafanaData,
} from "@stadtfluss/grafana-openapi-client";
import { type CurrentAlerting, readCurrentAlerting } from "./current-alerting.ts";
import type { DesiredOrg } from "./desired-state.ts";
import { FOLDER_UID_PREFIX, OWNED_MARKER, OWNED_TAG } from "./ownership.ts";

export interface CurrentPermission {
  readonly teamId?: number;
  readonly team?: string;
  readonly userId?: number;
  readonly role?: string;
  readonly permission: number;
}

export interface CurrentDashboard {
  readonly uid: string;
  readonly folderUid: string;
  readonly model: Readonly<Record<string, unknown>>;
  readonly version: number;
  readonly updatedBy: string;
}

/** What one organisation holds of what the provisioner declares or owns. */
export interface CurrentOrg {
  readonly orgId: number;
  /** Declared or owned data sources, by uid. */
  readonly dataSources: ReadonlyMap<string, GrafanaSchemas["DataSource"]>;
  /** Every folder by uid, with the permissions of the declared and owned ones. */
  readonly folders: ReadonlyMap<
    string,
    { readonly title: string; readonly permissions?: readonly CurrentPermission[] }
  >;
  /** Every team by name, with the members of the declared ones (login to user id). */
  readonly teams: ReadonlyMap<string, { readonly id: number; readonly members?: ReadonlyMap<string, number> }>;
  /** Declared or owned dashboards, by uid. */
  readonly dashboards: ReadonlyMap<string, CurrentDashboard>;
  readonly alerting: CurrentAlerting;
}

/** The organisation named like the tenant, or undefined where there is none yet. */
export async function findOrg(admin: GrafanaClient, name: string): Promise<number | undefined> {
  try {
    const org = await grafanaData(
      admin.GET("/orgs/name/{org_name}", { params: { path: { org_name: name } } }),
      `look up the organisation "${name}"`,
    );
    return org.id;
  } catch (error) {
    if (error instanceof GrafanaApiError && error.status === 404) return undefined;
    throw error;
  }
}

/** Reads the organisation as `inOrg` (a client acting in it) sees it. */
export async function readCurrentOrg(inOrg: GrafanaClient, orgId: number, desired: DesiredOrg): Promise<CurrentOrg> {
  const declaredSources = new Set(desired.dataSources.map((d) => d.uid));
  const list = await grafanaData(inOrg.GET("/datasources"), "list the data sources");
  const dataSources = new Map<string, GrafanaSchemas["DataSource"]>();
  for (const item of list)
    if (
      declaredSources.has(item.uid) ||
      (item.jsonData as Record<string, unknown> | undefined)?.[OWNED_MARKER] === true
    )
      dataSources.set(
        item.uid,
        await grafanaData(
          inOrg.GET("/datasources/uid/{uid}", { params: { path: { uid: item.uid } } }),
          `read the data source ${item.name}`,
        ),
      );

  const declaredFolders = new Set(desired.folders.map((f) => f.uid));
  const folders = new Map<string, { title: string; permissions?: CurrentPermission[] }>();
  for (const folder of await grafanaData(
    inOrg.GET("/folders", { params: { query: { limit: 1000 } } }),
    "list the folders",
  )) {
    const ours = declaredFolders.has(folder.uid) || folder.uid.startsWith(FOLDER_UID_PREFIX);
    const permissions = ours
      ? (
          await grafanaData(
            inOrg.GET("/folders/{folder_uid}/permissions", { params: { path: { folder_uid: folder.uid } } }),
            `read the permissions of the folder ${folder.title}`,
          )
        ).map((p) => ({
          ...(p.teamId ? { teamId: p.teamId, team: p.team ?? "" } : {}),
          ...(p.userId ? { userId: p.userId } : {}),
          ...(p.role ? { role: p.role } : {}),
          permission: p.permission ?? 0,
        }))
      : undefined;
    folders.set(folder.uid, { title: folder.title, ...(permissions ? { permissions } : {}) });
  }

  const declaredTeams = new Set(desired.teams.map((t) => t.name));
  const teams = new Map<string, { id: number; members?: Map<string, number> }>();
  const found = await grafanaData(
    inOrg.GET("/teams/search", { params: { query: { perpage: 1000 } } }),
    "list the teams",
  );
  for (const team of found.teams) {
    if (!declaredTeams.has(team.name)) {
      teams.set(team.name, { id: team.id });
      continue;
    }
    const members = await grafanaData(
      inOrg.GET("/teams/{team_id}/members", { params: { path: { team_id: String(team.id) } } }),
      `list the members of the team ${team.name}`,
    );
    teams.set(team.name, { id: team.id, members: new Map(members.map((m) => [m.login, m.userId])) });
  }

  const uids = new Set(desired.dashboards.map((d) => d.uid));
  for (const hit of await grafanaData(
    inOrg.GET("/search", { params: { query: { type: "dash-db", tag: [OWNED_TAG], limit: 5000 } } }),
    "search the dashboards",
  ))
    uids.add(hit.uid);
  const dashboards = new Map<string, CurrentDashboard>();
  for (const uid of uids) {
    let answer: GrafanaSchemas["DashboardWithMeta"];
    try {
      answer = await grafanaData(
        inOrg.GET("/dashboards/uid/{uid}", { params: { path: { uid } } }),
        `read the dashboard ${uid}`,
      );
    } catch (error) {
      if (error instanceof GrafanaApiError && error.status === 404) continue;
      throw error;
    }
    dashboards.set(uid, {
      uid,
      folderUid: answer.meta.folderUid ?? "",
      model: answer.dashboard as Record<string, unknown>,
      version: answer.meta.version ?? 0,
      updatedBy: answer.meta.updatedBy ?? "",
    });
  }
  const alerting = await readCurrentAlerting(inOrg, desired.alerting);
  return { orgId, dataSources, folders, teams, dashboards, alerting };
}
