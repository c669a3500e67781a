import { StadtflussError } from "@stadtfluss/errors";
import { type GrafanaClient, grafanaData, grafanaVersion } from "@stadtfluss/grafana-openapi-client";
import { applyStep } from "./apply.ts";
import { findOrg, readCurrentOrg } from "./current-state.ts";
import type { DesiredOrg } from "./desired-state.ts";
import { describeStep, isDeletion, isDrift, planOrg, type Step } from "./plan.ts";

/** Exit code of `plan` when changes are pending (for CI); 0 is "in sync". */
export const EXIT_CHANGES_PENDING = 2;

export interface ProvisionerOptions {
  /** A client of the server admin, acting in the organisation given (its own without). */
  readonly grafana: (orgId?: number) => GrafanaClient;
  readonly force?: boolean;
  readonly stdout: (line: string) => void;
}

/** The Grafana major versions whose API the provisioner speaks (its description is 11.4's). */
const SUPPORTED_MAJORS = [11, 12];

/** Refuses a Grafana whose API the provisioner was not made for; says which one it found. */
export async function checkVersion(grafana: GrafanaClient): Promise<string> {
  const version = await grafanaVersion(grafana);
  if (version === undefined)
    throw new StadtflussError(
      "Grafana hides its version (/api/health has none): cannot tell whether its API is the one the provisioner speaks (Grafana 11 or 12)",
    );
  const major = Number(version.split(".")[0]);
  if (!SUPPORTED_MAJORS.includes(major))
    throw new StadtflussError(
      `Grafana ${version} is not supported: the provisioner speaks the API of Grafana ${SUPPORTED_MAJORS.join(" and ")} (tested against 11.4)`,
    );
  return version;
}

async function planTenant(options: ProvisionerOptions, desired: DesiredOrg) {
  const orgId = await findOrg(options.grafana(), desired.name);
  const current = orgId === undefined ? undefined : await readCurrentOrg(options.grafana(orgId), orgId, desired);
  return { orgId, steps: planOrg(desired, current) };
}

/** Prints every pending step; 0 when in sync, EXIT_CHANGES_PENDING otherwise. */
export async function planCommand(desired: readonly DesiredOrg[], options: ProvisionerOptions): Promise<number> {
  await checkVersion(options.grafana());
  const steps: Step[] = [];
  for (const org of desired) steps.push(...(await planTenant(options, org)).steps);
  return report(steps, options);
}

function report(steps: readonly Step[], options: ProvisionerOptions): number {
  if (steps.length === 0) {
    options.stdout("in sync");
    return 0;
  }
  for (const step of steps) options.stdout(describeStep(step));
  const count = (test: (s: Step) => boolean) => steps.filter(test).length;
  const drift = count(isDrift);
  const deletions = count(isDeletion);
  options.stdout(
    `${steps.length} change(s)${drift > 0 ? `, ${drift} changed in Grafana by hand (apply --force overwrites)` : ""}${deletions > 0 ? `, ${deletions} to delete (prune deletes)` : ""}`,
  );
  return EXIT_CHANGES_PENDING;
}

/**
 * Creates and changes what is declared, organisation by organisation, and
 * checks that a plan afterwards shows nothing but deletions (prune's) and
 * dashboards changed by hand (without --force). 1 when such a dashboard was kept.
 */
export async function applyCommand(desired: readonly DesiredOrg[], options: ProvisionerOptions): Promise<number> {
  await checkVersion(options.grafana());
  let kept = 0;
  let applied = 0;
  for (const org of desired) {
    let { orgId, steps } = await planTenant(options, org);
    if (orgId === undefined) {
      ({ orgId } = await grafanaData(
        options.grafana().POST("/orgs", { body: { name: org.name } }),
        `create the organisation "${org.name}" for tenant ${org.tenant}`,
      ));
      options.stdout(describeStep(steps[0] as Step));
      applied++;
      steps = planOrg(org, await readCurrentOrg(options.grafana(orgId), orgId, org));
    }
    for (const step of steps) {
      if (isDeletion(step)) continue;
      if (isDrift(step) && !options.force) {
        options.stdout(`${describeStep(step)}: kept`);
        kept++;
        continue;
      }
      const note = await applyStep(step, orgId, options.grafana(orgId), options.grafana());
      options.stdout(note ?? describeStep(step));
      applied++;
    }
    const after = planOrg(org, await readCurrentOrg(options.grafana(orgId), orgId, org)).filter(
      (s) => !isDeletion(s) && !isDrift(s),
    );
    if (after.length > 0)
      throw new StadtflussError(
        `tenant ${org.tenant} is still not in sync after apply: ${after.map(describeStep).join("; ")}`,
      );
  }
  options.stdout(
    kept > 0
      ? `applied ${applied} change(s); ${kept} dashboard(s) or alert rule(s) changed in Grafana by hand kept (apply --force overwrites)`
      : `applied ${applied} change(s); in sync`,
  );
  return kept > 0 ? 1 : 0;
}

/**
 * Deletes what the provisioner created and no longer declares: alert rules and
 * dashboards, then folders, contact points and data sources.
 */
export async function pruneCommand(desired: readonly DesiredOrg[], options: ProvisionerOptions): Promise<number> {
  await checkVersion(options.grafana());
  const order = [
    "delete alert rule",
    "delete dashboard",
    "delete folder",
    "delete contact point",
    "delete data source",
  ];
  let deleted = 0;
  for (const org of desired) {
    const { orgId, steps } = await planTenant(options, org);
    if (orgId === undefined) continue;
    const deletions = steps.filter(isDeletion).sort((a, b) => order.indexOf(a.kind) - order.indexOf(b.kind));
    for (const step of deletions) {
      const note = await applyStep(step, orgId, options.grafana(orgId), options.grafana());
      options.stdout(note ?? `${step.tenant}: deleted ${describeStep(step).split(": - ")[1]?.split(" (")[0]}`);
      if (!note) deleted++;
    }
  }
  options.stdout(deleted === 0 ? "nothing to prune" : `pruned ${deleted} object(s)`);
  return 0;
}
