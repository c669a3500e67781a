import { measurementOf, quantityOf } from "@stadtfluss/influx";
import type { GrafanaTenant, RegisteredDevice } from "@stadtfluss/registry";
import type { AlertContext, AlertDefinition } from "../../../dashboards/alerts.ts";
import { ALERTING_UID_PREFIX, FOLDER_UID_PREFIX, OWNED_TAG } from "./ownership.ts";

export interface DesiredAlertRule {
  readonly uid: string;
  readonly title: string;
  readonly folderUid: string;
  /** The rule as written (Grafana's provisioning model), without the hash apply adds. */
  readonly model: Readonly<Record<string, unknown>>;
}

export interface DesiredContactPoint {
  readonly uid: string;
  readonly name: string;
  readonly type: "email" | "webhook";
  readonly settings: Readonly<Record<string, string>>;
}

/** A node of Grafana's notification policy tree, as the provisioning API takes it. */
export interface DesiredRoute {
  readonly receiver: string;
  readonly group_by?: readonly string[];
  readonly object_matchers?: ReadonlyArray<readonly [string, "=", string]>;
  readonly routes?: readonly DesiredRoute[];
}

/** What one organisation's alerting should hold. */
export interface DesiredAlerting {
  readonly rules: readonly DesiredAlertRule[];
  readonly contactPoints: readonly DesiredContactPoint[];
  /** The whole tree; undefined leaves the organisation's own as it is. */
  readonly policy?: DesiredRoute;
}

/** The EU limit value for PM10's daily mean (Directive 2008/50/EC), µg/m³. */
const PM10_DAILY_MEAN_LIMIT = 50;

/**
 * The tenant's alert rules in their departments' folders, its contact points
 * and its notification policy. A rule's queries must reach data sources the
 * organisation gets (`dataSources`, by uid); every problem goes to `problems`.
 */
export function desiredAlerting(
  declared: GrafanaTenant,
  devices: readonly RegisteredDevice[],
  dataSources: readonly string[],
  catalogue: Readonly<Record<string, AlertDefinition>>,
  problems: string[],
): DesiredAlerting {
  const where = `grafana.tenants.${declared.tenant}`;
  const context: AlertContext = {
    devices: devices.flatMap((device) => {
      const kind = device.type?.reports ?? device.type?.fields?.[0]?.kind;
      if (!device.type?.intervalMs || !kind) return [];
      return [
        {
          id: device.id,
          type: device.type.id,
          intervalMs: device.type.intervalMs,
          measurement: measurementOf(kind),
          field: quantityOf(kind),
        },
      ];
    }),
    pm10DailyMeanLimit: declared.alerting?.pm10DailyMeanLimit ?? PM10_DAILY_MEAN_LIMIT,
  };
  const rules: DesiredAlertRule[] = [];
  for (const department of declared.departments)
    for (const name of department.alerts) {
      const definition = catalogue[name];
      if (!definition) {
        problems.push(
          `${where}.departments.${department.uid}: unknown alert rule "${name}" (known: ${Object.keys(catalogue).join(", ")})`,
        );
        continue;
      }
      const missing = definition.dataSources.filter((uid) => !dataSources.includes(uid));
      if (missing.length > 0) {
        problems.push(
          `${where}.departments.${department.uid}: alert rule "${name}" queries the data source ${missing.join(", ")}, which this organisation does not get (grafana.prometheus.tenants names the organisations that get Prometheus)`,
        );
        continue;
      }
      if (name === "device-silent")
        for (const device of devices)
          if (device.type?.intervalMs && !device.type.fields?.length && !device.type.reports)
            problems.push(
              `${where}.departments.${department.uid}: alert rule "device-silent" cannot watch ${device.id}: its type ${device.type.id} declares an interval but neither fields nor reports, so which measurement it writes is unknown (name a kind it sends with every message under reports)`,
            );
      const folderUid = FOLDER_UID_PREFIX + department.uid;
      for (const rule of definition.rules(context)) {
        if (!rule.uid.startsWith(ALERTING_UID_PREFIX) || rule.uid.length > 40)
          problems.push(
            `alert rule ${rule.uid}: its uid must start with ${ALERTING_UID_PREFIX} and have at most 40 characters`,
          );
        rules.push({
          uid: rule.uid,
          title: rule.title,
          folderUid,
          model: {
            ...rule,
            folderUID: folderUid,
            // What notification policies match on; `managed_by` marks it as the provisioner's.
            labels: { ...rule.labels, department: department.uid, alert: name, managed_by: OWNED_TAG },
          },
        });
      }
    }

  const contactPoints = (declared.alerting?.contactPoints ?? []).map(
    (point): DesiredContactPoint => ({
      uid: ALERTING_UID_PREFIX + point.uid,
      name: point.name,
      ...(point.email
        ? { type: "email", settings: { addresses: point.email.join(";") } }
        : { type: "webhook", settings: { url: point.webhook ?? "", httpMethod: "POST" } }),
    }),
  );
  const policy = declared.alerting?.policy;
  return {
    rules,
    contactPoints,
    ...(policy
      ? {
          policy: {
            receiver: policy.receiver,
            group_by: policy.groupBy,
            routes: policy.routes.map((route) => ({
              receiver: route.receiver,
              object_matchers: [
                ...(route.department === undefined ? [] : [["department", "=", route.department] as const]),
                ...(route.alert === undefined ? [] : [["alert", "=", route.alert] as const]),
              ],
            })),
          },
        }
      : {}),
  };
}
