import { Secret } from "@stadtfluss/config";
import { apiBackend, describeErrors, type GrafanaDouble, type Json, startGrafanaDouble } from "@stadtfluss/testing";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  createGrafanaClient,
  GrafanaApiError,
  type GrafanaClient,
  GrafanaUnreachableError,
  grafanaData,
  grafanaVersion,
} from "./client.ts";
import { readDescription } from "./contract.ts";
import { descriptionPath } from "./generate-types.ts";

// Grafana's description stays outside the repository; `.ci/run` points at it.
const spec = process.env.GRAFANA_OPENAPI_SPEC;
if (!spec)
  console.warn(
    "skipping the Grafana client tests against the Grafana double: set GRAFANA_OPENAPI_SPEC to Grafana's OpenAPI 3 description (.ci/run sets it to ../shared/grafana/grafana-11.4.0-openapi3.json)",
  );

const ADMIN_PASSWORD = "admin-password-of-the-test";

describe.skipIf(!spec)("the Grafana client against the Grafana double (as Grafana's description has it)", () => {
  let grafana: GrafanaDouble;
  /** Answers the client got that its own description (and so its types) does not allow. */
  let undescribed: string[];
  beforeEach(async () => {
    grafana = await startGrafanaDouble({ spec: spec ?? "", adminPassword: ADMIN_PASSWORD });
    undescribed = [];
  });
  afterEach(async () => {
    // Every request the client sent, and every answer the double gave, was as Grafana's description allows,
    expect(grafana.violations).toEqual([]);
    // and every answer the client read is what its types promise.
    expect(undescribed).toEqual([]);
    await grafana.close();
  });

  const ours = apiBackend("grafana-subset", () => readDescription(descriptionPath), { apiRoot: "/api" });
  async function checkedFetch(request: Request): Promise<Response> {
    const response = await fetch(request);
    const api = await ours;
    const url = new URL(request.url);
    const operation = api.router.matchOperation({
      method: request.method.toLowerCase(),
      path: url.pathname,
      headers: {},
      query: url.search.slice(1),
    });
    const text = await response.clone().text();
    if (operation && String(response.status) in (operation.responses ?? {})) {
      const result = api.validateResponse(text === "" ? null : (JSON.parse(text) as Json), operation, response.status);
      if (!result.valid)
        undescribed.push(`${request.method} ${url.pathname} ${response.status}: ${describeErrors(result.errors)}`);
    }
    return response;
  }
  const admin = (orgId?: number) =>
    createGrafanaClient({
      url: grafana.url,
      credential: { kind: "basic", user: grafana.admin.login, password: new Secret(ADMIN_PASSWORD) },
      ...(orgId === undefined ? {} : { orgId }),
      fetch: checkedFetch,
    });
  const withToken = (token: string) =>
    createGrafanaClient({
      url: grafana.url,
      credential: { kind: "token", token: new Secret(token) },
      fetch: checkedFetch,
    });

  /** An organisation with a service account token of the given role in it, as a server admin sets one up. */
  async function organisation(name: string, role: "Viewer" | "Editor" | "Admin" = "Admin") {
    const { orgId } = await grafanaData(admin().POST("/orgs", { body: { name } }), `create the organisation ${name}`);
    const inOrg = admin(orgId);
    const account = await grafanaData(
      inOrg.POST("/serviceaccounts", { body: { name: "stadtfluss-provisioner", role } }),
      "create the service account",
    );
    const { key } = await grafanaData(
      inOrg.POST("/serviceaccounts/{serviceAccountId}/tokens", {
        params: { path: { serviceAccountId: account.id } },
        body: { name: "provisioner" },
      }),
      "create a token",
    );
    return { orgId, client: withToken(key), token: key };
  }

  /** The error a call ends in. */
  async function failure(call: Promise<unknown>): Promise<GrafanaApiError> {
    const error = await call.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(GrafanaApiError);
    return error as GrafanaApiError;
  }

  it("reads Grafana's version from /api/health without a credential", async () => {
    const anonymous = createGrafanaClient({
      url: `${grafana.url}/`,
      credential: { kind: "token", token: new Secret("") },
    });
    expect(await grafanaVersion(anonymous)).toBe("11.4.0");
  });

  it("lets a server admin create, list and find organisations, and makes it the new organisation's Admin", async () => {
    const { orgId } = await grafanaData(admin().POST("/orgs", { body: { name: "Musterstadt" } }), "create");
    expect(await grafanaData(admin().GET("/orgs", { params: { query: { name: "Musterstadt" } } }), "list")).toEqual([
      { id: orgId, name: "Musterstadt" },
    ]);
    const found = await grafanaData(
      admin().GET("/orgs/name/{org_name}", { params: { path: { org_name: "Musterstadt" } } }),
      "find",
    );
    expect(found).toMatchObject({ id: orgId, name: "Musterstadt" });
    const users = await grafanaData(
      admin().GET("/orgs/{org_id}/users", { params: { path: { org_id: orgId } } }),
      "list its users",
    );
    expect(users.map((u) => [u.login, u.role])).toEqual([["admin", "Admin"]]);
    const again = await failure(
      grafanaData(admin().POST("/orgs", { body: { name: "Musterstadt" } }), "create Musterstadt again"),
    );
    expect(again.status).toBe(409);
  });

  it("keeps a data source's secret write-only: answers name the field, never the value, and an update without it keeps it", async () => {
    const { client } = await organisation("Musterstadt");
    const created = await grafanaData(
      client.POST("/datasources", {
        body: {
          uid: "influx-musterstadt",
          name: "InfluxDB",
          type: "influxdb",
          access: "proxy",
          url: "http://influxdb:8086",
          user: "musterstadt_reader",
          database: "musterstadt_public",
          jsonData: { httpMode: "POST" },
          secureJsonData: { password: "the-reader-password" },
        },
      }),
      "create the data source",
    );
    expect(created.datasource).toMatchObject({ uid: "influx-musterstadt", version: 1 });
    expect(created.datasource.secureJsonFields).toEqual({ password: true });

    const { data, response } = await client.GET("/datasources/uid/{uid}", {
      params: { path: { uid: "influx-musterstadt" } },
    });
    expect(response.status).toBe(200);
    expect(JSON.stringify(data)).not.toContain("the-reader-password");

    const updated = await grafanaData(
      client.PUT("/datasources/uid/{uid}", {
        params: { path: { uid: "influx-musterstadt" } },
        body: {
          name: "InfluxDB",
          type: "influxdb",
          access: "proxy",
          url: "http://influxdb:8087",
          database: "musterstadt_public",
          version: 1,
        },
      }),
      "update the data source",
    );
    expect(updated.datasource).toMatchObject({ url: "http://influxdb:8087", version: 2 });
    expect(updated.datasource.secureJsonFields).toEqual({ password: true });
    expect(grafana.orgs.find((o) => o.name === "Musterstadt")?.dataSources[0]?.secureJsonData).toEqual({
      password: "the-reader-password",
    });
    // An update from a stale version is refused.
    const stale = await failure(
      grafanaData(
        client.PUT("/datasources/uid/{uid}", {
          params: { path: { uid: "influx-musterstadt" } },
          body: { name: "InfluxDB", type: "influxdb", access: "proxy", version: 1 },
        }),
        "update the data source",
      ),
    );
    expect(stale.status).toBe(409);
  });

  it("keeps organisations apart: another organisation's token neither lists nor reads a data source or dashboard, and cannot name another organisation", async () => {
    const a = await organisation("Musterstadt");
    const b = await organisation("Stadtwerke Musterstadt");
    await grafanaData(
      a.client.POST("/datasources", {
        body: {
          uid: "meter-data",
          name: "Zählerdaten",
          type: "influxdb",
          access: "proxy",
          url: "http://influxdb:8086",
        },
      }),
      "create the data source",
    );
    await grafanaData(
      a.client.POST("/dashboards/db", { body: { dashboard: { uid: "load", title: "Lastgang" } } }),
      "save the dashboard",
    );

    expect(await grafanaData(b.client.GET("/datasources"), "list data sources")).toEqual([]);
    const read = await failure(
      grafanaData(b.client.GET("/datasources/uid/{uid}", { params: { path: { uid: "meter-data" } } }), "read"),
    );
    expect(read.status).toBe(404);
    expect(await grafanaData(b.client.GET("/search", { params: { query: { query: "Last" } } }), "search")).toEqual([]);
    const dashboard = await failure(
      grafanaData(b.client.GET("/dashboards/uid/{uid}", { params: { path: { uid: "load" } } }), "read"),
    );
    expect(dashboard.status).toBe(404);
    // A token acts in its own organisation only: the header that moves a user is refused with it.
    const pointed = createGrafanaClient({
      url: grafana.url,
      credential: { kind: "token", token: new Secret(b.token) },
      orgId: a.orgId,
    });
    const elsewhere = await failure(grafanaData(pointed.GET("/datasources"), "list data sources"));
    expect(elsewhere.status).toBe(401);
    expect(elsewhere.message).toContain("API key does not belong to the requested organization");
    // Its own organisation's data sources it sees.
    expect((await grafanaData(a.client.GET("/datasources"), "list")).map((d) => d.uid)).toEqual(["meter-data"]);
  });

  it("raises a dashboard's version on every save, fills in id, uid and version, and refuses a save from a stale version", async () => {
    const { client, orgId } = await organisation("Musterstadt", "Editor");
    const folder = await grafanaData(
      client.POST("/folders", { body: { uid: "verkehr", title: "Verkehrsplanung" } }),
      "create the folder",
    );
    const model = { uid: "traffic", title: "Verkehr", panels: [] };
    const first = await grafanaData(
      client.POST("/dashboards/db", { body: { dashboard: model, folderUid: folder.uid, message: "apply" } }),
      "save",
    );
    expect(first).toMatchObject({ uid: "traffic", version: 1, status: "success", folderUid: "verkehr" });
    const read = await grafanaData(
      client.GET("/dashboards/uid/{uid}", { params: { path: { uid: "traffic" } } }),
      "read",
    );
    expect(read.dashboard).toEqual({ ...model, id: first.id, version: 1 });
    expect(read.meta).toMatchObject({ version: 1, folderUid: "verkehr", folderTitle: "Verkehrsplanung" });

    const second = await grafanaData(
      client.POST("/dashboards/db", { body: { dashboard: { ...model, version: 1 }, folderUid: "verkehr" } }),
      "save again",
    );
    expect(second.version).toBe(2);

    // Changed by hand in the UI since: a save from version 2 is refused unless it overwrites.
    grafana.editInUi(orgId, "traffic", (dashboard) => {
      dashboard.title = "Verkehr (von Hand)";
    });
    const stale = await failure(
      grafanaData(
        client.POST("/dashboards/db", { body: { dashboard: { ...model, version: 2 }, folderUid: "verkehr" } }),
        "save",
      ),
    );
    expect(stale.status).toBe(412);
    const forced = await grafanaData(
      client.POST("/dashboards/db", { body: { dashboard: model, folderUid: "verkehr", overwrite: true } }),
      "overwrite",
    );
    expect(forced.version).toBe(4);
    expect(
      (
        await grafanaData(
          client.GET("/search", { params: { query: { folderUIDs: ["verkehr"], type: "dash-db" } } }),
          "search",
        )
      ).map((hit) => [hit.uid, hit.title]),
    ).toEqual([["traffic", "Verkehr"]]);
    await grafanaData(client.DELETE("/dashboards/uid/{uid}", { params: { path: { uid: "traffic" } } }), "delete");
    expect(await grafanaData(client.GET("/search", { params: { query: { type: "dash-db" } } }), "search")).toEqual([]);
  });

  it("answers a wrong password or token with 401 and a missing role or server admin with 403, and says which", async () => {
    const wrong = createGrafanaClient({
      url: grafana.url,
      credential: { kind: "basic", user: "admin", password: new Secret("not-the-password") },
    });
    const unauthenticated = await failure(grafanaData(wrong.GET("/orgs"), "list organisations"));
    expect(unauthenticated.status).toBe(401);
    expect(unauthenticated.message).toMatch(/^Grafana refused to list organisations \(HTTP 401, .*credential/);
    expect((await failure(grafanaData(withToken("glsa_unknown").GET("/folders"), "list folders"))).status).toBe(401);

    const viewer = await organisation("Musterstadt", "Viewer");
    expect(await grafanaData(viewer.client.GET("/folders"), "list folders")).toEqual([]);
    const forbidden = await failure(
      grafanaData(
        viewer.client.POST("/datasources", {
          body: { name: "InfluxDB", type: "influxdb", access: "proxy", url: "http://influxdb:8086" },
        }),
        "create the data source",
      ),
    );
    expect(forbidden.status).toBe(403);
    expect(forbidden.message).toContain("Admin role");
    const organisations = await failure(grafanaData(viewer.client.GET("/orgs"), "list organisations"));
    expect(organisations.status).toBe(403);
    expect(organisations.message).toContain("server admin");
  });

  it("manages teams, their members and a folder's permissions for them", async () => {
    const { client, orgId } = await organisation("Musterstadt");
    const planner = grafana.addUser("planerin", [[orgId, "Viewer"]]);
    const { teamId } = await grafanaData(client.POST("/teams", { body: { name: "Verkehrsplanung" } }), "create team");
    await grafanaData(
      client.POST("/teams/{team_id}/members", {
        params: { path: { team_id: String(teamId) } },
        body: { userId: planner.id },
      }),
      "add member",
    );
    const teams = await grafanaData(
      client.GET("/teams/search", { params: { query: { name: "Verkehrsplanung" } } }),
      "find",
    );
    expect(teams.teams.map((t) => [t.id, t.memberCount])).toEqual([[teamId, 1]]);
    const members = await grafanaData(
      client.GET("/teams/{team_id}/members", { params: { path: { team_id: String(teamId) } } }),
      "members",
    );
    expect(members.map((m) => m.login)).toEqual(["planerin"]);

    await grafanaData(client.POST("/folders", { body: { uid: "verkehr", title: "Verkehrsplanung" } }), "folder");
    await grafanaData(
      client.POST("/folders/{folder_uid}/permissions", {
        params: { path: { folder_uid: "verkehr" } },
        body: {
          items: [
            { teamId, permission: 2 },
            { role: "Viewer", permission: 1 },
          ],
        },
      }),
      "set permissions",
    );
    const permissions = await grafanaData(
      client.GET("/folders/{folder_uid}/permissions", { params: { path: { folder_uid: "verkehr" } } }),
      "read permissions",
    );
    expect(permissions.map((p) => [p.teamId ?? p.role, p.permission])).toEqual([
      [teamId, 2],
      ["Viewer", 1],
    ]);

    await grafanaData(
      client.DELETE("/teams/{team_id}/members/{user_id}", {
        params: { path: { team_id: String(teamId), user_id: planner.id } },
      }),
      "remove member",
    );
    await grafanaData(client.DELETE("/teams/{team_id}", { params: { path: { team_id: String(teamId) } } }), "delete");
    const after = await grafanaData(
      client.GET("/folders/{folder_uid}/permissions", { params: { path: { folder_uid: "verkehr" } } }),
      "read permissions",
    );
    expect(after.map((p) => p.role)).toEqual(["Viewer"]);
  });

  it("provisions contact points, the notification policy and alert rules, and refuses a policy to an unknown receiver", async () => {
    const { client, orgId } = await organisation("Musterstadt");
    await grafanaData(client.POST("/folders", { body: { uid: "umwelt", title: "Umwelt" } }), "folder");
    await grafanaData(
      client.POST("/datasources", {
        body: { uid: "influx", name: "InfluxDB", type: "influxdb", access: "proxy", url: "http://influxdb:8086" },
      }),
      "data source",
    );
    const point = await grafanaData(
      client.POST("/v1/provisioning/contact-points", {
        body: { uid: "umweltamt", name: "Umweltamt", type: "email", settings: { addresses: "umwelt@example.org" } },
      }),
      "create the contact point",
    );
    expect(point).toMatchObject({ uid: "umweltamt", provenance: "api" });

    const refused = await failure(
      grafanaData(
        client.PUT("/v1/provisioning/policies", {
          body: { receiver: "grafana-default-email", routes: [{ receiver: "Nobody" }] },
        }),
        "set the policy",
      ),
    );
    expect(refused.status).toBe(400);
    expect(refused.message).toContain("Nobody");
    await grafanaData(
      client.PUT("/v1/provisioning/policies", {
        body: {
          receiver: "grafana-default-email",
          routes: [{ receiver: "Umweltamt", object_matchers: [["department", "=", "umwelt"]] }],
        },
      }),
      "set the policy",
    );
    expect(await grafanaData(client.GET("/v1/provisioning/policies"), "read the policy")).toMatchObject({
      routes: [{ receiver: "Umweltamt" }],
    });

    const rule = {
      uid: "pm10-daily-mean",
      orgID: orgId,
      folderUID: "umwelt",
      ruleGroup: "air-quality",
      title: "PM10 daily mean above the limit",
      condition: "B",
      data: [
        {
          refId: "A",
          datasourceUid: "influx",
          relativeTimeRange: { from: 86_400, to: 0 },
          model: { refId: "A", rawQuery: true, query: 'SELECT mean("pm10") FROM "air_quality" WHERE $timeFilter' },
        },
        {
          refId: "B",
          datasourceUid: "__expr__",
          model: {
            refId: "B",
            type: "threshold",
            expression: "A",
            conditions: [{ evaluator: { type: "gt", params: [50] } }],
          },
        },
      ],
      noDataState: "NoData" as const,
      execErrState: "Error" as const,
      for: "1h",
      labels: { department: "umwelt" },
    };
    const created = await grafanaData(client.POST("/v1/provisioning/alert-rules", { body: rule }), "create the rule");
    expect(created).toMatchObject({ uid: "pm10-daily-mean", provenance: "api", for: "1h" });
    const changed = await grafanaData(
      client.PUT("/v1/provisioning/alert-rules/{UID}", {
        params: { path: { UID: "pm10-daily-mean" } },
        body: { ...rule, for: "2h" },
      }),
      "change the rule",
    );
    expect(changed.for).toBe("2h");
    expect((await grafanaData(client.GET("/v1/provisioning/alert-rules"), "list rules")).map((r) => r.uid)).toEqual([
      "pm10-daily-mean",
    ]);
    const deleted = await client.DELETE("/v1/provisioning/alert-rules/{UID}", {
      params: { path: { UID: "pm10-daily-mean" } },
    });
    expect(deleted.response.status).toBe(204);
    const gone = await client.GET("/v1/provisioning/alert-rules/{UID}", {
      params: { path: { UID: "pm10-daily-mean" } },
    });
    expect(gone.response.status).toBe(404);
  });

  it("refuses, as Grafana does, a second alert rule of one title in a folder and a contact point without its integration's address", async () => {
    const { client, orgId } = await organisation("Musterstadt");
    await grafanaData(client.POST("/folders", { body: { uid: "umwelt", title: "Umwelt" } }), "folder");
    const rule = (uid: string) => ({
      uid,
      orgID: orgId,
      folderUID: "umwelt",
      ruleGroup: "air-quality",
      title: "Gleicher Titel",
      condition: "A",
      data: [{ refId: "A", datasourceUid: "__expr__", model: { refId: "A", type: "math", expression: "1" } }],
      noDataState: "OK" as const,
      execErrState: "Error" as const,
      for: "0s",
    });
    await grafanaData(client.POST("/v1/provisioning/alert-rules", { body: rule("first") }), "create the rule");
    const twice = await failure(
      grafanaData(client.POST("/v1/provisioning/alert-rules", { body: rule("second") }), "create the rule"),
    );
    expect(twice.status).toBe(409);
    expect(twice.message).toContain("should be unique");
    // The same title in another rule's place (a PUT of the first) is no conflict.
    await grafanaData(
      client.PUT("/v1/provisioning/alert-rules/{UID}", { params: { path: { UID: "first" } }, body: rule("first") }),
      "replace the rule",
    );

    for (const [type, settings, missing] of [
      ["email", { singleEmail: true }, "addresses"],
      ["webhook", { httpMethod: "POST" }, "url"],
    ] as const) {
      const refused = await failure(
        grafanaData(
          client.POST("/v1/provisioning/contact-points", { body: { name: "Leer", type, settings } }),
          "create the contact point",
        ),
      );
      expect(refused.status).toBe(400);
      expect(refused.message).toContain(missing);
    }
  });

  it("lists a service account's tokens without their keys, and a deleted token no longer authenticates", async () => {
    const { client, orgId, token } = await organisation("Musterstadt");
    const inOrg = admin(orgId);
    const { serviceAccounts, totalCount } = await grafanaData(
      inOrg.GET("/serviceaccounts/search", { params: { query: { query: "stadtfluss" } } }),
      "find the service account",
    );
    expect(totalCount).toBe(1);
    const account = serviceAccounts[0];
    if (!account) throw new Error("no service account");
    expect(account).toMatchObject({ name: "stadtfluss-provisioner", role: "Admin", orgId, tokens: 1 });
    const path = { serviceAccountId: account.id };
    const tokens = await grafanaData(
      inOrg.GET("/serviceaccounts/{serviceAccountId}/tokens", { params: { path } }),
      "list",
    );
    expect(tokens.map((t) => t.name)).toEqual(["provisioner"]);
    expect(JSON.stringify(tokens)).not.toContain(token);

    const [first] = tokens;
    await grafanaData(
      inOrg.DELETE("/serviceaccounts/{serviceAccountId}/tokens/{tokenId}", {
        params: { path: { ...path, tokenId: first?.id ?? 0 } },
      }),
      "delete the token",
    );
    expect((await failure(grafanaData(client.GET("/folders"), "list folders"))).status).toBe(401);
    await grafanaData(inOrg.DELETE("/serviceaccounts/{serviceAccountId}", { params: { path } }), "delete it");
    expect(
      (await grafanaData(inOrg.GET("/serviceaccounts/search"), "search")).serviceAccounts.map((s) => s.name),
    ).toEqual([]);
  });

  it("renames a folder from its version, and deletes it with its dashboards only when its alert rules may go too", async () => {
    const { client } = await organisation("Musterstadt");
    const folder = await grafanaData(client.POST("/folders", { body: { uid: "energie", title: "Energie" } }), "create");
    const renamed = await grafanaData(
      client.PUT("/folders/{folder_uid}", {
        params: { path: { folder_uid: "energie" } },
        body: { title: "Energie und Wärme", version: folder.version },
      }),
      "rename",
    );
    expect(renamed).toMatchObject({ title: "Energie und Wärme", version: folder.version + 1 });
    const stale = await failure(
      grafanaData(
        client.PUT("/folders/{folder_uid}", {
          params: { path: { folder_uid: "energie" } },
          body: { title: "Energie", version: folder.version },
        }),
        "rename",
      ),
    );
    expect(stale.status).toBe(409);
    expect((await grafanaData(client.GET("/folders"), "list")).map((f) => f.title)).toEqual(["Energie und Wärme"]);

    await grafanaData(
      client.POST("/dashboards/db", { body: { dashboard: { uid: "load", title: "Lastgang" }, folderUid: "energie" } }),
      "save",
    );
    await grafanaData(
      client.POST("/v1/provisioning/alert-rules", {
        body: {
          orgID: 0,
          folderUID: "energie",
          ruleGroup: "energy",
          title: "Meter silent",
          condition: "A",
          data: [{ refId: "A", datasourceUid: "__expr__", model: { type: "math", expression: "1 == 1" } }],
          noDataState: "Alerting",
          execErrState: "Error",
          for: "0s",
        },
      }),
      "create the rule",
    );
    const path = { folder_uid: "energie" };
    expect(
      (await failure(grafanaData(client.DELETE("/folders/{folder_uid}", { params: { path } }), "delete"))).status,
    ).toBe(400);
    const deleted = await grafanaData(
      client.DELETE("/folders/{folder_uid}", { params: { path, query: { forceDeleteRules: true } } }),
      "delete",
    );
    expect(deleted.title).toBe("Energie und Wärme");
    expect(await grafanaData(client.GET("/search"), "search")).toEqual([]);
    expect(await grafanaData(client.GET("/v1/provisioning/alert-rules"), "list rules")).toEqual([]);
  });

  it("refuses and records a request that Grafana's description does not allow (a misspelt field)", async () => {
    const response = await fetch(`${grafana.url}/api/folders`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        authorization: `Basic ${Buffer.from(`admin:${ADMIN_PASSWORD}`).toString("base64")}`,
      },
      body: JSON.stringify({ titel: "Verkehrsplanung" }),
    });
    expect(response.status).toBe(400);
    expect(grafana.violations).toHaveLength(1);
    expect(grafana.violations[0]).toMatch(/^POST \/api\/folders: not as the description allows: .*titel/);
    grafana.violations.length = 0;
  });
});

describe("the Grafana client", () => {
  it("names an unreachable Grafana, as retriable", async () => {
    const client: GrafanaClient = createGrafanaClient({
      url: "http://127.0.0.1:1",
      credential: { kind: "token", token: new Secret("t") },
    });
    const error = await grafanaVersion(client).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GrafanaUnreachableError);
    expect((error as GrafanaUnreachableError).message).toMatch(/^Grafana at http:\/\/127\.0\.0\.1:1 cannot be reached/);
    expect((error as GrafanaUnreachableError).retriable).toBe(true);
  });
});
