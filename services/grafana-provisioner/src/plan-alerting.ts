import type { CurrentAlerting } from "./current-alerting.ts";
import type { DesiredAlerting, DesiredAlertRule, DesiredContactPoint, DesiredRoute } from "./desired-alerting.ts";
import { ALERTING_UID_PREFIX, contentHash } from "./ownership.ts";

/** The alerting changes of one organisation: contact points, then the policy that names them, then the rules. */
export type AlertingStep =
  | { readonly kind: "create alert rule" | "update alert rule"; readonly rule: DesiredAlertRule; readonly why?: string }
  | {
      /** Changed through Grafana's API since the last apply: overwritten only with --force. */
      readonly kind: "alert rule drift";
      readonly rule: DesiredAlertRule;
      readonly updated: string;
    }
  | {
      readonly kind: "create contact point" | "update contact point";
      readonly contactPoint: DesiredContactPoint;
      readonly why?: string;
    }
  | { readonly kind: "set notification policy"; readonly policy: DesiredRoute; readonly why: string }
  /** Owned, no longer declared: only `prune` deletes it. */
  | { readonly kind: "delete alert rule" | "delete contact point"; readonly uid: string; readonly title: string };

/** The annotation that holds the hash of the rule apply wrote, to tell an edit by hand from a new declaration. */
export const RULE_CONTENT_HASH = "stadtflussContentHash";

/** The rule apply writes: the declared one, its hash among the annotations, in organisation `orgId`. */
export function writtenRule(rule: DesiredAlertRule, orgId: number): Record<string, unknown> {
  const annotations = (rule.model.annotations ?? {}) as Record<string, string>;
  return { ...rule.model, orgID: orgId, annotations: { ...annotations, [RULE_CONTENT_HASH]: contentHash(rule.model) } };
}

/** A stored rule without what Grafana fills in (id, orgID, updated, provenance, empty fields) and the hash. */
export function normalisedRule(rule: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const { id: _id, orgID: _org, updated: _updated, provenance: _provenance, annotations, ...rest } = rule;
  const { [RULE_CONTENT_HASH]: _hash, ...own } = (annotations ?? {}) as Record<string, string>;
  return {
    ...Object.fromEntries(Object.entries(rest).filter(([, value]) => value !== null && value !== undefined)),
    annotations: own,
  };
}

/**
 * `current` reduced to the keys `declared` has, recursively: what Grafana adds
 * on its own (defaults of a contact point's integration, fields of a newer
 * version) is no difference; an array of another length is.
 */
export function declaredPart(current: unknown, declared: unknown): unknown {
  if (Array.isArray(declared))
    return Array.isArray(current) && current.length === declared.length
      ? current.map((item, i) => declaredPart(item, declared[i]))
      : current;
  if (declared !== null && typeof declared === "object") {
    if (current === null || typeof current !== "object" || Array.isArray(current)) return current;
    return Object.fromEntries(
      Object.keys(declared).map((key) => [
        key,
        declaredPart((current as Record<string, unknown>)[key], (declared as Record<string, unknown>)[key]),
      ]),
    );
  }
  return current;
}

const same = (current: unknown, declared: unknown) =>
  contentHash(declaredPart(current, declared)) === contentHash(declared);

/**
 * The steps that make the organisation's alerting match the declaration;
 * without `current` (no organisation yet) everything is created. Owned rules
 * and contact points no longer declared come last, as deletions for `prune`.
 */
export function planAlerting(desired: DesiredAlerting, current: CurrentAlerting | undefined): AlertingStep[] {
  const steps: AlertingStep[] = [];
  for (const contactPoint of desired.contactPoints) {
    const existing = current?.contactPoints.get(contactPoint.uid);
    if (!existing) {
      steps.push({ kind: "create contact point", contactPoint });
      continue;
    }
    const changed = (["name", "type", "settings"] as const).filter((key) => !same(existing[key], contactPoint[key]));
    if (changed.length > 0)
      steps.push({ kind: "update contact point", contactPoint, why: `${changed.join(", ")} changed` });
  }

  if (desired.policy && !(current && same(current.policy, desired.policy)))
    steps.push({
      kind: "set notification policy",
      policy: desired.policy,
      why: current ? "differs from the declaration" : "declared",
    });

  for (const rule of desired.rules) {
    const existing = current?.rules.get(rule.uid);
    if (!existing) {
      steps.push({ kind: "create alert rule", rule });
      continue;
    }
    const declared = contentHash(rule.model);
    const stored = ((existing.annotations ?? {}) as Record<string, unknown>)[RULE_CONTENT_HASH];
    const now = contentHash(normalisedRule(existing));
    if (stored === now) {
      // As apply left it: a difference is the declaration's.
      if (declared !== stored)
        steps.push({
          kind: "update alert rule",
          rule,
          why: existing.folderUID === rule.folderUid ? "declaration changed" : `moved to folder ${rule.folderUid}`,
        });
    } else if (declared !== now)
      steps.push({ kind: "alert rule drift", rule, updated: String(existing.updated ?? "") });
  }

  if (current) {
    const declaredRules = new Set(desired.rules.map((r) => r.uid));
    for (const [uid, rule] of current.rules)
      if (!declaredRules.has(uid) && uid.startsWith(ALERTING_UID_PREFIX))
        steps.push({ kind: "delete alert rule", uid, title: String(rule.title) });
    const declaredPoints = new Set(desired.contactPoints.map((c) => c.uid));
    for (const [uid, point] of current.contactPoints)
      if (!declaredPoints.has(uid) && uid.startsWith(ALERTING_UID_PREFIX))
        steps.push({ kind: "delete contact point", uid, title: point.name });
  }
  return steps;
}

/** The plan's text of an alerting step, after `tenant: `. */
export function describeAlertingStep(step: AlertingStep): [sign: string, text: string] {
  switch (step.kind) {
    case "create contact point":
      return ["+", `contact point "${step.contactPoint.name}" (${step.contactPoint.type})`];
    case "update contact point":
      return ["~", `contact point "${step.contactPoint.name}": ${step.why}`];
    case "set notification policy":
      return [
        "~",
        `notification policy tree (${step.why}): default ${step.policy.receiver}${(step.policy.routes ?? []).map((r) => `, ${(r.object_matchers ?? []).map((m) => m.join("")).join(" ")} to ${r.receiver}`).join("")}`,
      ];
    case "create alert rule":
      return ["+", `alert rule "${step.rule.title}" in folder ${step.rule.folderUid}`];
    case "update alert rule":
      return ["~", `alert rule "${step.rule.title}": ${step.why}`];
    case "alert rule drift":
      return [
        "!",
        `alert rule "${step.rule.title}" was changed in Grafana since the last apply (updated ${step.updated}); apply --force overwrites it`,
      ];
    case "delete alert rule":
      return ["-", `alert rule "${step.title}" (no longer declared; prune deletes it)`];
    case "delete contact point":
      return ["-", `contact point "${step.title}" (no longer declared; prune deletes it)`];
  }
}
