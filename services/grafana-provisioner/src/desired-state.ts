import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Secret } from "@stadtfluss/config";
import { ConfigError } from "@stadtfluss/errors";
import type { FolderPermission, GrafanaDeclaration, RegisteredDevice, Tenant } from "@stadtfluss/registry";
import { databaseName, loadRegistry } from "@stadtfluss/registry";
import { type AlertDefinition, alerts } from "../../../dashboards/alerts.ts";
import { type AnyDashboard, DATASOURCE, dashboards } from "../../../dashboards/index.ts";
import { type DesiredAlerting, desiredAlerting } from "./desired-alerting.ts";
import { FOLDER_UID_PREFIX, OWNED_TAG } from "./ownership.ts";

export interface DesiredDataSource {
  readonly uid: string;
  readonly name: string;
  /** InfluxDB in InfluxQL mode (the city's data) or Prometheus (the pipeline's own metrics). */
  readonly type: "influxdb" | "prometheus";
  readonly url: string;
  /** Empty for Prometheus, as Grafana keeps these fields of every data source. */
  readonly database: string;
  readonly user: string;
  /** Absent for an InfluxDB without authentication (the local one of `pnpm start`). */
  readonly password?: Secret;
  readonly isDefault: boolean;
}

export interface DesiredDashboard {
  readonly uid: string;
  readonly title: string;
  readonly folderUid: string;
  /** The JSON model as written: with the owner's tag, without what Grafana fills in. */
  readonly model: Readonly<Record<string, unknown>>;
}

/** What one tenant's organisation should hold. */
export interface DesiredOrg {
  readonly tenant: string;
  /** The organisation's name: the tenant's name as declared. */
  readonly name: string;
  readonly dataSources: readonly DesiredDataSource[];
  readonly teams: ReadonlyArray<{ readonly name: string; readonly members: readonly string[] }>;
  readonly folders: ReadonlyArray<{
    readonly uid: string;
    readonly title: string;
    readonly permissions: ReadonlyArray<{ readonly team: string; readonly permission: FolderPermission }>;
  }>;
  readonly dashboards: readonly DesiredDashboard[];
  readonly alerting: DesiredAlerting;
}

export interface DesiredStateSource {
  readonly tenants: readonly Tenant[];
  readonly grafana: GrafanaDeclaration;
  /**
   * Where `pnpm platform apply` wrote each reader's `<reader>.token` (`user:password`);
   * undefined for an InfluxDB without authentication.
   */
  readonly credentialsDir: string | undefined;
  readonly dashboards: Readonly<Record<string, AnyDashboard>>;
  /** The alert rules a department may name; those of `dashboards/alerts.ts` unless given. */
  readonly alerts?: Readonly<Record<string, AlertDefinition>>;
  /** Every registered device: `device-silent` watches those whose type declares an interval. */
  readonly devices?: readonly RegisteredDevice[];
}

/**
 * Every declared tenant's organisation: its two InfluxDB data sources in
 * InfluxQL mode with the reader's credential, its teams, folders and
 * dashboards. Every problem (a missing credential file, an unknown dashboard)
 * is reported at once.
 */
export function desiredState(source: DesiredStateSource): DesiredOrg[] {
  const problems: string[] = [];
  const orgs: DesiredOrg[] = [];
  for (const declared of source.grafana.tenants) {
    const tenant = source.tenants.find((t) => t.id === declared.tenant);
    if (!tenant) {
      problems.push(`grafana.tenants.${declared.tenant}: unknown tenant`);
      continue;
    }
    const credential: { password?: Secret } | { problem: string } =
      source.credentialsDir === undefined ? {} : readCredential(source.credentialsDir, declared.reader);
    if ("problem" in credential) problems.push(`grafana.tenants.${tenant.id}.reader: ${credential.problem}`);
    const raw = databaseName(tenant.id, tenant.kind === "utility" ? "personal" : "public");
    const open = databaseName(tenant.id, "open");
    const dataSource = (uid: string, database: string, isDefault: boolean): DesiredDataSource => ({
      uid,
      name: `InfluxDB ${database}`,
      type: "influxdb",
      url: source.grafana.influxUrl,
      database,
      user: declared.reader,
      ...("password" in credential && credential.password ? { password: credential.password } : {}),
      isDefault,
    });
    const dashboards: DesiredDashboard[] = [];
    for (const department of declared.departments)
      for (const name of department.dashboards) {
        const dashboard: AnyDashboard | undefined = source.dashboards[name];
        if (!dashboard) {
          problems.push(
            `grafana.tenants.${tenant.id}.departments.${department.uid}: unknown dashboard "${name}" (known: ${Object.keys(source.dashboards).join(", ")})`,
          );
          continue;
        }
        const panels: ReadonlyArray<{ readonly datasource: { readonly uid: string } }> = dashboard.panels;
        if (
          panels.some((p) => p.datasource.uid === DATASOURCE.prometheus.uid) &&
          !source.grafana.prometheus?.tenants.includes(tenant.id)
        ) {
          problems.push(
            `grafana.tenants.${tenant.id}.departments.${department.uid}: dashboard "${name}" shows the pipeline's metrics, which this organisation has no data source for (name the tenant under grafana.prometheus.tenants)`,
          );
          continue;
        }
        dashboards.push({
          uid: dashboard.uid,
          title: dashboard.title,
          folderUid: FOLDER_UID_PREFIX + department.uid,
          model: { ...dashboard, tags: [...new Set([...dashboard.tags, OWNED_TAG])] },
        });
      }
    const dataSources = [
      dataSource(DATASOURCE.raw.uid, raw, true),
      dataSource(DATASOURCE.open.uid, open, false),
      ...prometheusDataSource(source.grafana, tenant.id),
    ];
    orgs.push({
      tenant: tenant.id,
      name: tenant.name,
      dataSources,
      teams: declared.teams,
      folders: declared.departments.map((d) => ({
        uid: FOLDER_UID_PREFIX + d.uid,
        title: d.title,
        permissions: d.permissions,
      })),
      dashboards,
      alerting: desiredAlerting(
        declared,
        (source.devices ?? []).filter((device) => device.tenant === tenant.id),
        dataSources.map((d) => d.uid),
        source.alerts ?? alerts,
        problems,
      ),
    });
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return orgs;
}

/** The pipeline's metrics, only where the declaration names the tenant: in OSS every member may query them. */
function prometheusDataSource(grafana: GrafanaDeclaration, tenant: string): DesiredDataSource[] {
  if (!grafana.prometheus?.tenants.includes(tenant)) return [];
  return [
    {
      uid: DATASOURCE.prometheus.uid,
      name: "Prometheus Stadtfluss",
      type: "prometheus",
      url: grafana.prometheus.url,
      database: "",
      user: "",
      isDefault: false,
    },
  ];
}

/** `<dir>/<reader>.token` as `pnpm platform apply` writes it: `user:password`. */
function readCredential(dir: string, reader: string): { password: Secret } | { problem: string } {
  const file = join(dir, `${reader}.token`);
  let text: string;
  try {
    text = readFileSync(file, "utf8").trim();
  } catch (error) {
    return {
      problem: `cannot read the credential of reader "${reader}" at ${file} (${(error as NodeJS.ErrnoException).code ?? "error"}); pnpm platform apply --credentials-dir writes it`,
    };
  }
  const colon = text.indexOf(":");
  if (colon < 0 || text.slice(0, colon) !== reader) return { problem: `${file} does not hold "${reader}:<password>"` };
  return { password: new Secret(text.slice(colon + 1)) };
}

/** The declaration at `path` (file or folder) as organisations; a ConfigError names every problem. */
export function loadDesiredState(path: string, credentialsDir: string | undefined): DesiredOrg[] {
  const registry = loadRegistry(path);
  if (!registry.grafana) throw new ConfigError([`${path}: declares no grafana section (docs/grafana.md shows one)`]);
  return desiredState({
    tenants: registry.tenants,
    grafana: registry.grafana,
    credentialsDir,
    dashboards,
    devices: registry.tenants.flatMap((tenant) => registry.registry.devicesOf(tenant.id)),
  });
}
