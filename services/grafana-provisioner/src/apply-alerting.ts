import {
  GrafanaApiError,
  type GrafanaClient,
  type GrafanaSchemas,
  grafanaData,
} from "@stadtfluss/grafana-openapi-client";
import type { DesiredRoute } from "./desired-alerting.ts";
import { type AlertingStep, writtenRule } from "./plan-alerting.ts";

/**
 * Runs one alerting step in the organisation `orgId` that `inOrg` acts in.
 * Written without `X-Disable-Provenance`: Grafana's UI shows the rules,
 * contact points and policy as provisioned and does not let anyone edit them
 * there. Returns a note for the operator where a step was skipped.
 */
export async function applyAlertingStep(
  step: AlertingStep,
  orgId: number,
  inOrg: GrafanaClient,
): Promise<string | undefined> {
  switch (step.kind) {
    case "create alert rule":
      await grafanaData(
        inOrg.POST("/v1/provisioning/alert-rules", {
          body: writtenRule(step.rule, orgId) as unknown as GrafanaSchemas["AlertRule"],
        }),
        `create the alert rule ${step.rule.title}`,
      );
      return undefined;
    case "update alert rule":
    case "alert rule drift":
      await grafanaData(
        inOrg.PUT("/v1/provisioning/alert-rules/{UID}", {
          params: { path: { UID: step.rule.uid } },
          body: writtenRule(step.rule, orgId) as unknown as GrafanaSchemas["AlertRule"],
        }),
        `replace the alert rule ${step.rule.title}`,
      );
      return undefined;
    case "delete alert rule":
      await grafanaData(
        inOrg.DELETE("/v1/provisioning/alert-rules/{UID}", { params: { path: { UID: step.uid } } }),
        `delete the alert rule ${step.title}`,
      );
      return undefined;
    case "create contact point":
      await grafanaData(
        inOrg.POST("/v1/provisioning/contact-points", { body: { ...step.contactPoint } }),
        `create the contact point ${step.contactPoint.name}`,
      );
      return undefined;
    case "update contact point":
      await grafanaData(
        inOrg.PUT("/v1/provisioning/contact-points/{UID}", {
          params: { path: { UID: step.contactPoint.uid } },
          body: { ...step.contactPoint },
        }),
        `change the contact point ${step.contactPoint.name}`,
      );
      return undefined;
    case "set notification policy":
      await grafanaData(
        inOrg.PUT("/v1/provisioning/policies", { body: route(step.policy) }),
        "replace the notification policy tree",
      );
      return undefined;
    case "delete contact point":
      try {
        await grafanaData(
          inOrg.DELETE("/v1/provisioning/contact-points/{UID}", { params: { path: { UID: step.uid } } }),
          `delete the contact point ${step.title}`,
        );
      } catch (error) {
        // The policy tree is the organisation's where none is declared: it may still send there.
        if (error instanceof GrafanaApiError && (error.status === 409 || error.status === 400))
          return `kept contact point "${step.title}": the notification policy tree still sends alerts to it`;
        throw error;
      }
      return undefined;
  }
}

function route(node: DesiredRoute): GrafanaSchemas["Route"] {
  return {
    receiver: node.receiver,
    ...(node.group_by ? { group_by: [...node.group_by] } : {}),
    ...(node.object_matchers ? { object_matchers: node.object_matchers.map((m) => [...m]) } : {}),
    ...(node.routes ? { routes: node.routes.map(route) } : {}),
  };
}
