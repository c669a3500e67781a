import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { contractProblems, readDescription } from "./contract.ts";
import { descriptionPath } from "./generate-types.ts";

// Grafana's description is AGPL and stays outside the repository: `.ci/run` points at
// ../shared/grafana/, and a city points it at what its own Grafana serves at /public/openapi3.json.
const grafanaSpec = process.env.GRAFANA_OPENAPI_SPEC;
if (!grafanaSpec)
  console.warn(
    "skipping the Grafana API contract tests: set GRAFANA_OPENAPI_SPEC to Grafana's OpenAPI 3 description (.ci/run sets it to ../shared/grafana/grafana-11.4.0-openapi3.json)",
  );

describe.skipIf(!grafanaSpec)("the description of the Grafana API subset, against Grafana's own", () => {
  const grafana = grafanaSpec ? readDescription(grafanaSpec) : {};
  const folder = mkdtempSync(join(tmpdir(), "sf-grafana-contract-"));
  afterAll(() => rmSync(folder, { recursive: true, force: true }));

  it("uses only paths, methods, parameters and fields that Grafana's description has, compatibly", () => {
    expect(contractProblems(readDescription(descriptionPath), grafana)).toEqual([]);
  });

  type Description = ReturnType<typeof readDescription> & {
    paths: Record<string, Record<string, { parameters?: Array<Record<string, unknown>> }>>;
    components: { schemas: Record<string, { required?: string[]; properties: Record<string, unknown> }> };
  };
  // Each a deliberate mistake in a copy of the description, written to a file and read back as the test reads it.
  const mistakes: Array<[string, (d: Description) => void, string]> = [
    [
      "a misspelt request field",
      (d) => {
        const org = d.components.schemas.CreateOrg;
        if (!org) throw new Error("CreateOrg missing");
        org.properties = { orgName: { type: "string" } };
        org.required = ["orgName"];
      },
      "POST /api/orgs: request body.orgName: Grafana's description has no such field",
    ],
    [
      "a path Grafana does not have",
      (d) => {
        const item = d.paths["/folders/{folder_uid}"];
        delete d.paths["/folders/{folder_uid}"];
        if (item) d.paths["/folder/{folder_uid}"] = item;
      },
      "GET /api/folder/{folder_uid}: Grafana's description has no such path",
    ],
    [
      "a response field of another type",
      (d) => {
        const org = d.components.schemas.Org;
        if (org) org.properties.id = { type: "string" };
      },
      "GET /api/orgs: response 200[].id: of type string, Grafana's description says integer",
    ],
    [
      "a query parameter Grafana does not know",
      (d) => {
        d.paths["/search"]?.get?.parameters?.push({ name: "folderUid", in: "query", schema: { type: "string" } });
      },
      "GET /api/search: query parameter folderUid: Grafana's description has no such parameter",
    ],
    [
      "a field Grafana requires left optional",
      (d) => {
        const rule = d.components.schemas.AlertRule;
        if (rule) rule.required = (rule.required ?? []).filter((name) => name !== "for");
      },
      "POST /api/v1/provisioning/alert-rules: request body.for: Grafana requires it",
    ],
  ];
  it.each(mistakes)("finds %s", (_name, change, problem) => {
    const copy = parse(stringify(readDescription(descriptionPath))) as Description;
    change(copy);
    const file = join(folder, "grafana-subset.yaml");
    writeFileSync(file, stringify(copy));
    expect(contractProblems(readDescription(file), grafana)).toContain(problem);
  });
});
