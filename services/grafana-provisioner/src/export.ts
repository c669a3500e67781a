import { chmodSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { stringify } from "yaml";
import type { DesiredOrg } from "./desired-state.ts";
import { alertingProvisioning } from "./export-alerting.ts";
import { credentialFields } from "./ownership.ts";
import { dataSourceSettings, normalisedModel, writtenModel } from "./plan.ts";

/**
 * For a city that deploys Grafana from files: per tenant a Grafana of its own
 * (organisation 1), `<out>/<tenant>/provisioning/datasources/stadtfluss.yaml`,
 * `<out>/<tenant>/provisioning/dashboards/stadtfluss.yaml` and the dashboards as
 * JSON in one folder per department, and the alert rules, contact points and
 * notification policy in `<out>/<tenant>/provisioning/alerting/stadtfluss.yaml`.
 * File provisioning has no teams and no folder permissions; `apply` sets
 * those. Returns the files written.
 */
export function exportProvisioning(desired: readonly DesiredOrg[], out: string): string[] {
  const written: string[] = [];
  const write = (path: string, text: string, mode = 0o644) => {
    mkdirSync(join(path, ".."), { recursive: true });
    writeFileSync(path, text, { mode });
    chmodSync(path, mode);
    written.push(path);
  };
  for (const org of desired) {
    const root = resolve(out, org.tenant);
    // What an earlier export wrote and the declaration no longer has must not stay behind.
    rmSync(root, { recursive: true, force: true });
    const dashboardsDir = join(root, "dashboards");
    const datasources = org.dataSources.map((dataSource) => {
      const { uid, name, type, access, url, user, isDefault, jsonData } = dataSourceSettings(dataSource);
      const credential = credentialFields(dataSource.password);
      return {
        uid,
        name,
        type,
        access,
        url,
        user,
        isDefault,
        editable: false,
        jsonData: { ...jsonData, ...credential.jsonData },
        ...(credential.secureJsonData ? { secureJsonData: credential.secureJsonData } : {}),
      };
    });
    // The reader's password is in it: readable by its owner only, as the credential files are.
    write(
      join(root, "provisioning", "datasources", "stadtfluss.yaml"),
      `# ${org.name}: written by the grafana-provisioner's export; holds the reader's password\n${stringify({ apiVersion: 1, prune: true, datasources })}`,
      0o600,
    );
    write(
      join(root, "provisioning", "dashboards", "stadtfluss.yaml"),
      `# ${org.name}: written by the grafana-provisioner's export\n${stringify({
        apiVersion: 1,
        providers: [
          {
            name: "stadtfluss",
            orgId: 1,
            type: "file",
            disableDeletion: false,
            allowUiUpdates: false,
            options: { path: dashboardsDir, foldersFromFilesStructure: true },
          },
        ],
      })}`,
    );
    const alerting = alertingProvisioning(org);
    // Webhook URLs may carry a token: readable by its owner only, as the data sources.
    if (alerting)
      write(
        join(root, "provisioning", "alerting", "stadtfluss.yaml"),
        `# ${org.name}: written by the grafana-provisioner's export\n${stringify(alerting)}`,
        0o600,
      );
    for (const dashboard of org.dashboards) {
      const folder = org.folders.find((f) => f.uid === dashboard.folderUid);
      write(
        join(dashboardsDir, folder?.title ?? "General", `${dashboard.uid}.json`),
        `${JSON.stringify(normalisedModel(writtenModel(dashboard)), null, 2)}\n`,
      );
    }
  }
  return written;
}
