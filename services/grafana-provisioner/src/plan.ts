import type { FolderPermission } from "@stadtfluss/registry";
import type { CurrentOrg } from "./current-state.ts";
import type { DesiredDashboard, DesiredDataSource, DesiredOrg } from "./desired-state.ts";
import { contentHash, FINGERPRINT, FINGERPRINT_SALT, fingerprint, OWNED_MARKER, OWNED_TAG } from "./ownership.ts";
import { type AlertingStep, describeAlertingStep, planAlerting } from "./plan-alerting.ts";

/** One change to one organisation, in the order apply runs them. */
export type Step = { readonly tenant: string } & (
  | { readonly kind: "create organisation"; readonly name: string }
  | { readonly kind: "create team"; readonly team: string }
  | { readonly kind: "add member"; readonly team: string; readonly login: string }
  | { readonly kind: "remove member"; readonly team: string; readonly login: string; readonly userId: number }
  | { readonly kind: "create folder" | "rename folder"; readonly uid: string; readonly title: string }
  | {
      readonly kind: "set folder permissions";
      readonly uid: string;
      readonly title: string;
      readonly permissions: ReadonlyArray<{ readonly team: string; readonly permission: FolderPermission }>;
    }
  | {
      readonly kind: "create data source" | "update data source";
      readonly dataSource: DesiredDataSource;
      readonly why?: string;
    }
  | {
      readonly kind: "create dashboard" | "update dashboard";
      readonly dashboard: DesiredDashboard;
      readonly why?: string;
    }
  | {
      /** Changed by hand since the last apply: overwritten only with --force. */
      readonly kind: "dashboard drift";
      readonly dashboard: DesiredDashboard;
      readonly version: number;
      readonly updatedBy: string;
    }
  | {
      /** Owned, no longer declared: only `prune` deletes it. */
      readonly kind: "delete data source" | "delete dashboard" | "delete folder";
      readonly uid: string;
      readonly title: string;
    }
  | AlertingStep
);

export const PERMISSION_CODE: Readonly<Record<FolderPermission, 1 | 2 | 4>> = { View: 1, Edit: 2, Admin: 4 };
/** The dashboard model's key that holds the hash of what apply last wrote. */
export const CONTENT_HASH = "stadtflussContentHash";

/** The model apply writes: the declared one and the hash of it, to recognise a later edit by hand. */
export function writtenModel(dashboard: DesiredDashboard): Record<string, unknown> {
  return { ...dashboard.model, uid: dashboard.uid, [CONTENT_HASH]: contentHash(dashboard.model) };
}

/** A stored model without what Grafana fills in (id, version) and without the hash apply added. */
export function normalisedModel(model: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const { id: _id, version: _version, [CONTENT_HASH]: _hash, ...rest } = model;
  return rest;
}

/**
 * The steps that make the organisation match the declaration. Without
 * `current` (no organisation yet) everything is created. Owned objects that
 * are no longer declared come last, as deletions that only `prune` runs.
 */
export function planOrg(desired: DesiredOrg, current: CurrentOrg | undefined): Step[] {
  const tenant = desired.tenant;
  const steps: Step[] = [];
  if (!current) steps.push({ tenant, kind: "create organisation", name: desired.name });

  for (const team of desired.teams) {
    const existing = current?.teams.get(team.name);
    if (!existing) steps.push({ tenant, kind: "create team", team: team.name });
    const members = existing?.members ?? new Map<string, number>();
    for (const login of team.members)
      if (!members.has(login)) steps.push({ tenant, kind: "add member", team: team.name, login });
    for (const [login, userId] of members)
      if (!team.members.includes(login)) steps.push({ tenant, kind: "remove member", team: team.name, login, userId });
  }

  for (const folder of desired.folders) {
    const existing = current?.folders.get(folder.uid);
    if (!existing) steps.push({ tenant, kind: "create folder", uid: folder.uid, title: folder.title });
    else if (existing.title !== folder.title)
      steps.push({ tenant, kind: "rename folder", uid: folder.uid, title: folder.title });
    const wanted = folder.permissions.map((p) => `team ${p.team}=${PERMISSION_CODE[p.permission]}`).sort();
    const has = (existing?.permissions ?? [])
      .map((p) =>
        p.team !== undefined
          ? `team ${p.team}=${p.permission}`
          : p.role !== undefined
            ? `role ${p.role}=${p.permission}`
            : `user ${p.userId}=${p.permission}`,
      )
      .sort();
    if (!existing || wanted.join() !== has.join())
      steps.push({
        tenant,
        kind: "set folder permissions",
        uid: folder.uid,
        title: folder.title,
        permissions: folder.permissions,
      });
  }

  for (const dataSource of desired.dataSources) {
    const existing = current?.dataSources.get(dataSource.uid);
    if (!existing) {
      steps.push({ tenant, kind: "create data source", dataSource });
      continue;
    }
    const why = dataSourceDifference(dataSource, existing);
    if (why) steps.push({ tenant, kind: "update data source", dataSource, why });
  }

  for (const dashboard of desired.dashboards) {
    const existing = current?.dashboards.get(dashboard.uid);
    if (!existing) {
      steps.push({ tenant, kind: "create dashboard", dashboard });
      continue;
    }
    const declared = contentHash(dashboard.model);
    const stored = existing.model[CONTENT_HASH];
    const now = contentHash(normalisedModel(existing.model));
    const moved = existing.folderUid !== dashboard.folderUid;
    if (stored === now) {
      // As apply left it: a difference is the declaration's.
      if (declared !== stored || moved)
        steps.push({
          tenant,
          kind: "update dashboard",
          dashboard,
          why: moved ? `moved to folder ${dashboard.folderUid}` : "declaration changed",
        });
    } else if (declared !== now || moved)
      steps.push({
        tenant,
        kind: "dashboard drift",
        dashboard,
        version: existing.version,
        updatedBy: existing.updatedBy,
      });
  }

  if (current) {
    const declaredSources = new Set(desired.dataSources.map((d) => d.uid));
    for (const [uid, dataSource] of current.dataSources)
      if (!declaredSources.has(uid) && (dataSource.jsonData as Record<string, unknown>)[OWNED_MARKER] === true)
        steps.push({ tenant, kind: "delete data source", uid, title: dataSource.name });
    const declaredDashboards = new Set(desired.dashboards.map((d) => d.uid));
    for (const [uid, dashboard] of current.dashboards)
      if (!declaredDashboards.has(uid) && ((dashboard.model.tags as string[] | undefined) ?? []).includes(OWNED_TAG))
        steps.push({ tenant, kind: "delete dashboard", uid, title: String(dashboard.model.title) });
    const declaredFolders = new Set(desired.folders.map((f) => f.uid));
    for (const [uid, folder] of current.folders)
      if (!declaredFolders.has(uid) && folder.permissions !== undefined)
        steps.push({ tenant, kind: "delete folder", uid, title: folder.title });
  }
  steps.push(...planAlerting(desired.alerting, current?.alerting).map((step) => ({ tenant, ...step })));
  return steps;
}

/** The data source as the provisioner writes it (without the secret). */
export function dataSourceSettings(dataSource: DesiredDataSource) {
  if (dataSource.type === "prometheus")
    return {
      uid: dataSource.uid,
      name: dataSource.name,
      type: "prometheus",
      access: "proxy" as const,
      url: dataSource.url,
      user: "",
      database: "",
      basicAuth: false,
      isDefault: dataSource.isDefault,
      jsonData: { httpMethod: "POST", prometheusType: "Prometheus", [OWNED_MARKER]: true },
    };
  return {
    uid: dataSource.uid,
    name: dataSource.name,
    type: "influxdb",
    access: "proxy" as const,
    url: dataSource.url,
    user: dataSource.user,
    database: dataSource.database,
    basicAuth: false,
    isDefault: dataSource.isDefault,
    jsonData: { dbName: dataSource.database, httpMode: "POST", version: "InfluxQL", [OWNED_MARKER]: true },
  };
}

/** Why the stored data source differs, after leaving out what Grafana fills in; undefined when it does not. */
function dataSourceDifference(
  dataSource: DesiredDataSource,
  existing: { readonly [key: string]: unknown; readonly jsonData: object; readonly secureJsonFields: object },
): string | undefined {
  const wanted = dataSourceSettings(dataSource);
  const jsonData = existing.jsonData as Record<string, unknown>;
  if (jsonData[OWNED_MARKER] !== true)
    return "exists, made by hand (not marked as the provisioner's): apply takes it over";
  const { jsonData: wantedJson, ...fields } = wanted;
  const changed = Object.entries(fields)
    .filter(([key, value]) => (existing[key] ?? (typeof value === "boolean" ? false : "")) !== value)
    .map(([key]) => key);
  for (const [key, value] of Object.entries(wantedJson)) if (jsonData[key] !== value) changed.push(`jsonData.${key}`);
  if (changed.length > 0) return `${changed.join(", ")} changed`;
  if (dataSource.password === undefined) return undefined;
  const salt = jsonData[FINGERPRINT_SALT];
  if ((existing.secureJsonFields as Record<string, boolean>).password !== true) return "password not set";
  if (typeof salt !== "string" || jsonData[FINGERPRINT] !== fingerprint(dataSource.password, salt))
    return "credential rotated";
  return undefined;
}

/** One line of the plan, `tenant: + what` (+ create, ~ change, - delete, ! drift). */
export function describeStep(step: Step): string {
  const line = (sign: string, text: string) => `${step.tenant}: ${sign} ${text}`;
  if (isAlertingStep(step)) return line(...describeAlertingStep(step));
  switch (step.kind) {
    case "create organisation":
      return line("+", `organisation "${step.name}" (needs a Grafana server admin)`);
    case "create team":
      return line("+", `team ${step.team}`);
    case "add member":
      return line("+", `member ${step.login} of team ${step.team}`);
    case "remove member":
      return line("-", `member ${step.login} of team ${step.team}`);
    case "create folder":
      return line("+", `folder "${step.title}" (${step.uid})`);
    case "rename folder":
      return line("~", `folder ${step.uid}: title "${step.title}"`);
    case "set folder permissions":
      return line(
        "~",
        `permissions of folder "${step.title}": ${step.permissions.map((p) => `${p.team} ${p.permission}`).join(", ") || "none"}`,
      );
    case "create data source":
      return line(
        "+",
        step.dataSource.type === "prometheus"
          ? `data source "${step.dataSource.name}" (Prometheus, ${step.dataSource.url})`
          : `data source "${step.dataSource.name}" (InfluxQL, ${step.dataSource.database})`,
      );
    case "update data source":
      return line("~", `data source "${step.dataSource.name}": ${step.why}`);
    case "create dashboard":
      return line("+", `dashboard "${step.dashboard.title}" in folder ${step.dashboard.folderUid}`);
    case "update dashboard":
      return line("~", `dashboard "${step.dashboard.title}": ${step.why}`);
    case "dashboard drift":
      return line(
        "!",
        `dashboard "${step.dashboard.title}" was changed in Grafana since the last apply (version ${step.version}, by ${step.updatedBy}); apply --force overwrites it`,
      );
    case "delete data source":
      return line("-", `data source "${step.title}" (no longer declared; prune deletes it)`);
    case "delete dashboard":
      return line("-", `dashboard "${step.title}" (no longer declared; prune deletes it)`);
    case "delete folder":
      return line("-", `folder "${step.title}" (no longer declared; prune deletes it)`);
  }
}

export function isDeletion(step: Step): boolean {
  return step.kind.startsWith("delete ");
}

/** Changed in Grafana by hand since the last apply: a dashboard or an alert rule, overwritten only with --force. */
export function isDrift(step: Step): boolean {
  return step.kind.endsWith(" drift");
}

const ALERTING_KINDS: ReadonlySet<string> = new Set<AlertingStep["kind"]>([
  "create alert rule",
  "update alert rule",
  "alert rule drift",
  "delete alert rule",
  "create contact point",
  "update contact point",
  "delete contact point",
  "set notification policy",
]);

export function isAlertingStep(step: Step): step is Step & AlertingStep {
  return ALERTING_KINDS.has(step.kind);
}
