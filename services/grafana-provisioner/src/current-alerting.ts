import { type GrafanaClient, type GrafanaSchemas, grafanaData } from "@stadtfluss/grafana-openapi-client";
import type { DesiredAlerting } from "./desired-alerting.ts";
import { ALERTING_UID_PREFIX } from "./ownership.ts";

/** What one organisation's alerting holds of what the provisioner declares or owns. */
export interface CurrentAlerting {
  /** Declared or owned alert rules by uid, as Grafana answers them. */
  readonly rules: ReadonlyMap<string, Readonly<Record<string, unknown>>>;
  /** Declared or owned contact points by uid. */
  readonly contactPoints: ReadonlyMap<string, GrafanaSchemas["ContactPoint"]>;
  readonly policy: GrafanaSchemas["Route"];
}

/** Reads the alerting of the organisation `inOrg` acts in. */
export async function readCurrentAlerting(inOrg: GrafanaClient, desired: DesiredAlerting): Promise<CurrentAlerting> {
  const ours = (declared: ReadonlySet<string>, uid: string | undefined) =>
    uid !== undefined && (declared.has(uid) || uid.startsWith(ALERTING_UID_PREFIX));
  const declaredRules = new Set(desired.rules.map((r) => r.uid));
  const rules = new Map<string, Record<string, unknown>>();
  for (const rule of await grafanaData(inOrg.GET("/v1/provisioning/alert-rules"), "list the alert rules"))
    if (ours(declaredRules, rule.uid)) rules.set(rule.uid as string, rule as unknown as Record<string, unknown>);
  const declaredPoints = new Set(desired.contactPoints.map((c) => c.uid));
  const contactPoints = new Map<string, GrafanaSchemas["ContactPoint"]>();
  for (const point of await grafanaData(inOrg.GET("/v1/provisioning/contact-points"), "list the contact points"))
    if (ours(declaredPoints, point.uid)) contactPoints.set(point.uid, point);
  const policy = await grafanaData(inOrg.GET("/v1/provisioning/policies"), "read the notification policy tree");
  return { rules, contactPoints, policy };
}
