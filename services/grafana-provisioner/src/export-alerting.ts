import type { DesiredOrg } from "./desired-state.ts";
import { normalisedRule, writtenRule } from "./plan-alerting.ts";

/**
 * The organisation's alerting in Grafana's file provisioning format
 * (`provisioning/alerting/*.yaml`, apiVersion 1): rule groups by folder title,
 * contact points, and the policy tree where one is declared. Undefined where
 * there is nothing to write. A Grafana of its own per tenant: organisation 1.
 */
export function alertingProvisioning(org: DesiredOrg): Record<string, unknown> | undefined {
  const { rules, contactPoints, policy } = org.alerting;
  if (rules.length === 0 && contactPoints.length === 0 && !policy) return undefined;
  const groups = new Map<string, { orgId: number; name: string; folder: string; interval: string; rules: unknown[] }>();
  for (const rule of rules) {
    const folder = org.folders.find((f) => f.uid === rule.folderUid)?.title ?? "General";
    const { ruleGroup, folderUID: _folder, ...model } = normalisedRule(writtenRule(rule, 1));
    const key = `${folder}\u0000${String(ruleGroup)}`;
    const group = groups.get(key) ?? { orgId: 1, name: String(ruleGroup), folder, interval: "1m", rules: [] };
    group.rules.push(model);
    groups.set(key, group);
  }
  return {
    apiVersion: 1,
    ...(groups.size > 0 ? { groups: [...groups.values()] } : {}),
    ...(contactPoints.length > 0
      ? {
          contactPoints: contactPoints.map((point) => ({
            orgId: 1,
            name: point.name,
            receivers: [{ uid: point.uid, type: point.type, settings: point.settings, disableResolveMessage: false }],
          })),
        }
      : {}),
    ...(policy ? { policies: [{ orgId: 1, ...policy }] } : {}),
  };
}
