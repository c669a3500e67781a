import { StadtflussError } from "@stadtfluss/errors";
import { type GrafanaClient, grafanaData } from "@stadtfluss/grafana-openapi-client";
import { applyAlertingStep } from "./apply-alerting.ts";
import { credentialFields, OWNED_TAG } from "./ownership.ts";
import { dataSourceSettings, isAlertingStep, PERMISSION_CODE, type Step, writtenModel } from "./plan.ts";

/**
 * Runs one step in the organisation `orgId`. `inOrg` acts in it; `admin` is
 * the server admin, for what only one may do (adding a user to the
 * organisation). Returns a note for the operator where a step was skipped.
 */
export async function applyStep(
  step: Step,
  orgId: number,
  inOrg: GrafanaClient,
  admin: GrafanaClient,
): Promise<string | undefined> {
  if (isAlertingStep(step)) return applyAlertingStep(step, orgId, inOrg);
  switch (step.kind) {
    case "create organisation":
      throw new StadtflussError("an organisation is created before its steps run");
    case "create team":
      await grafanaData(inOrg.POST("/teams", { body: { name: step.team } }), `create the team ${step.team}`);
      return undefined;
    case "add member": {
      const userId = await orgUserId(admin, orgId, step.login);
      const teamId = await teamIdOf(inOrg, step.team);
      await grafanaData(
        inOrg.POST("/teams/{team_id}/members", { params: { path: { team_id: String(teamId) } }, body: { userId } }),
        `add ${step.login} to the team ${step.team}`,
      );
      return undefined;
    }
    case "remove member": {
      const teamId = await teamIdOf(inOrg, step.team);
      await grafanaData(
        inOrg.DELETE("/teams/{team_id}/members/{user_id}", {
          params: { path: { team_id: String(teamId), user_id: step.userId } },
        }),
        `remove ${step.login} from the team ${step.team}`,
      );
      return undefined;
    }
    case "create folder":
      await grafanaData(
        inOrg.POST("/folders", { body: { uid: step.uid, title: step.title } }),
        `create the folder ${step.title}`,
      );
      return undefined;
    case "rename folder":
      await grafanaData(
        inOrg.PUT("/folders/{folder_uid}", {
          params: { path: { folder_uid: step.uid } },
          body: { title: step.title, overwrite: true },
        }),
        `rename the folder ${step.uid}`,
      );
      return undefined;
    case "set folder permissions": {
      const items = [];
      for (const p of step.permissions)
        items.push({ teamId: await teamIdOf(inOrg, p.team), permission: PERMISSION_CODE[p.permission] });
      await grafanaData(
        inOrg.POST("/folders/{folder_uid}/permissions", {
          params: { path: { folder_uid: step.uid } },
          body: { items },
        }),
        `set the permissions of the folder ${step.title}`,
      );
      return undefined;
    }
    case "create data source":
    case "update data source": {
      const settings = dataSourceSettings(step.dataSource);
      const credential = credentialFields(step.dataSource.password);
      const body = {
        ...settings,
        jsonData: { ...settings.jsonData, ...credential.jsonData },
        ...(credential.secureJsonData ? { secureJsonData: credential.secureJsonData } : {}),
      };
      const action = `${step.kind === "create data source" ? "create" : "update"} the data source ${settings.name}`;
      if (step.kind === "create data source") await grafanaData(inOrg.POST("/datasources", { body }), action);
      else
        await grafanaData(
          inOrg.PUT("/datasources/uid/{uid}", { params: { path: { uid: settings.uid } }, body }),
          action,
        );
      return undefined;
    }
    case "dashboard drift":
    case "create dashboard":
    case "update dashboard":
      await grafanaData(
        inOrg.POST("/dashboards/db", {
          body: {
            dashboard: writtenModel(step.dashboard),
            folderUid: step.dashboard.folderUid,
            overwrite: true,
            message: "stadtfluss grafana-provisioner apply",
          },
        }),
        `save the dashboard ${step.dashboard.title}`,
      );
      return undefined;
    case "delete dashboard":
      await grafanaData(
        inOrg.DELETE("/dashboards/uid/{uid}", { params: { path: { uid: step.uid } } }),
        `delete the dashboard ${step.title}`,
      );
      return undefined;
    case "delete folder": {
      // A folder also holding dashboards made by hand stays: deleting it would take them along.
      const inside = await grafanaData(
        inOrg.GET("/search", { params: { query: { type: "dash-db", folderUIDs: [step.uid] } } }),
        `list the dashboards in the folder ${step.title}`,
      );
      const foreign = inside.filter((hit) => !(hit.tags ?? []).includes(OWNED_TAG));
      if (foreign.length > 0)
        return `kept folder "${step.title}": it holds dashboards the provisioner did not create (${foreign.map((h) => h.title).join(", ")})`;
      await grafanaData(
        inOrg.DELETE("/folders/{folder_uid}", { params: { path: { folder_uid: step.uid } } }),
        `delete the folder ${step.title}`,
      );
      return undefined;
    }
    case "delete data source":
      await grafanaData(
        inOrg.DELETE("/datasources/uid/{uid}", { params: { path: { uid: step.uid } } }),
        `delete the data source ${step.title}`,
      );
      return undefined;
  }
}

async function teamIdOf(inOrg: GrafanaClient, name: string): Promise<number> {
  const found = await grafanaData(
    inOrg.GET("/teams/search", { params: { query: { name } } }),
    `look up the team ${name}`,
  );
  const team = found.teams.find((t) => t.name === name);
  if (!team) throw new StadtflussError(`the team ${name} does not exist`);
  return team.id;
}

/** The user's id, after making it a Viewer of the organisation where it is not a member yet. */
async function orgUserId(admin: GrafanaClient, orgId: number, login: string): Promise<number> {
  const members = () =>
    grafanaData(
      admin.GET("/orgs/{org_id}/users", { params: { path: { org_id: orgId } } }),
      `list the users of organisation ${orgId}`,
    );
  const member = (await members()).find((u) => u.login === login);
  if (member) return member.userId;
  try {
    await grafanaData(
      admin.POST("/orgs/{org_id}/users", {
        params: { path: { org_id: orgId } },
        body: { loginOrEmail: login, role: "Viewer" },
      }),
      `add the user ${login} to organisation ${orgId}`,
    );
  } catch (error) {
    if ((error as { status?: number }).status === 404)
      throw new StadtflussError(
        `the user ${login} does not exist in Grafana: users come from the city's sign-in (LDAP, OAuth) and exist after their first login, or a server admin creates them`,
      );
    throw error;
  }
  const added = (await members()).find((u) => u.login === login);
  if (!added) throw new StadtflussError(`the user ${login} is not a member of organisation ${orgId} after adding it`);
  return added.userId;
}
