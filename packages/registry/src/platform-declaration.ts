import type { DataClass } from "./database-name.ts";
import type { RetentionMs } from "./retention.ts";

/** A municipality or utility sharing the platform; its data lives in databases of its own. */
export interface Tenant {
  readonly id: string;
  readonly name: string;
  readonly kind: "municipality" | "utility";
  readonly contact?: string;
  /** Every class, with the platform's defaults filled in. */
  readonly retention: Readonly<Record<DataClass, RetentionMs>>;
  /** The MQTT accounts its devices publish with (the tenant's id unless declared). */
  readonly mqttAccounts?: readonly string[];
}

/** A named principal that may read exactly these classes of these tenants. */
export interface Reader {
  readonly name: string;
  readonly description?: string;
  /** With `"*"` already spelt out as every declared tenant. */
  readonly read: ReadonlyArray<{ readonly tenant: string; readonly dataClass: DataClass }>;
}

/** What a registry declares about who shares the platform and who reads what. */
export interface PlatformDeclaration {
  readonly tenants: readonly Tenant[];
  readonly readers: readonly Reader[];
}

/** What the broker's password and ACL files are made from (`@stadtfluss/mosquitto-config`). */
export interface MqttDeclaration {
  /** The bridge's account and topic patterns; absent where the registry declares none. */
  readonly bridge?: { readonly username: string; readonly subscriptions: readonly string[] };
  /** Every tenant's accounts. */
  readonly accounts: ReadonlyArray<{ readonly username: string; readonly tenant: string }>;
  /** Devices whose topic names no tenant, each an ACL line of its own. */
  readonly devices: ReadonlyArray<{
    readonly id: string;
    readonly tenant: string;
    readonly format?: string;
    readonly topic?: string;
  }>;
}

/** A team's access to a department's folder, as Grafana names it. */
export type FolderPermission = "View" | "Edit" | "Admin";

/** What a tenant's Grafana organisation holds (the optional `grafana` section). */
export interface GrafanaTenant {
  readonly tenant: string;
  /** The reader whose InfluxDB credential the organisation's data sources use. */
  readonly reader: string;
  readonly teams: ReadonlyArray<{ readonly name: string; readonly members: readonly string[] }>;
  /** Folders: one per department, with the teams' permissions and the dashboards in it. */
  readonly departments: ReadonlyArray<{
    readonly uid: string;
    readonly title: string;
    readonly permissions: ReadonlyArray<{ readonly team: string; readonly permission: FolderPermission }>;
    readonly dashboards: readonly string[];
    /** Alert rules (`dashboards/alerts.ts`) by name. */
    readonly alerts: readonly string[];
  }>;
  /** Contact points, the notification policy and the thresholds; absent where not declared. */
  readonly alerting?: GrafanaAlerting;
}

/** Where a tenant's alerts go, and the thresholds of its rules. */
export interface GrafanaAlerting {
  /** µg/m³; 50 (the EU limit value) unless declared. */
  readonly pm10DailyMeanLimit: number;
  readonly contactPoints: ReadonlyArray<{
    readonly uid: string;
    readonly name: string;
    readonly email?: readonly string[];
    readonly webhook?: string;
  }>;
  /** The whole notification policy tree; undefined leaves the organisation's as it is. */
  readonly policy?: {
    readonly receiver: string;
    readonly groupBy: readonly string[];
    readonly routes: ReadonlyArray<{
      readonly receiver: string;
      readonly department?: string;
      readonly alert?: string;
    }>;
  };
}

/** The `grafana` section: where Grafana reaches InfluxDB, and one organisation per tenant. */
export interface GrafanaDeclaration {
  readonly influxUrl: string;
  /** The pipeline's own metrics: a Prometheus data source in the organisations of these tenants only. */
  readonly prometheus?: { readonly url: string; readonly tenants: readonly string[] };
  readonly tenants: readonly GrafanaTenant[];
}
