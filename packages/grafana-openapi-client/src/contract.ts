/**
 * Checks the project's description of Grafana's API against the full
 * description a Grafana serves (`/public/openapi3.json`): every path, method,
 * parameter and request and response schema Stadtfluss uses must be there and
 * compatible. Compatible means: what the client sends, Grafana's description
 * accepts (its types, enums and required fields), and every field the client
 * reads is one Grafana's description has, of the same type. Fields that
 * Grafana's description leaves optional but every Grafana sends may be
 * required here; string patterns and lengths are not compared.
 */
import { readFileSync } from "node:fs";
import { parse } from "yaml";

type Json = Record<string, unknown>;
type Schema = Json & {
  $ref?: string;
  type?: string;
  enum?: unknown[];
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean | Schema;
  items?: Schema;
  allOf?: Schema[];
};
interface Parameter {
  name: string;
  in: string;
  required?: boolean;
  style?: string;
  explode?: boolean;
  schema?: Schema;
}
interface Operation {
  parameters?: Array<Parameter | { $ref: string }>;
  requestBody?: Json;
  responses?: Record<string, Json>;
}

/** A description read from a YAML or JSON file. */
export function readDescription(path: string | URL): Json {
  const text = readFileSync(path, "utf8");
  return (String(path).endsWith(".json") ? JSON.parse(text) : parse(text)) as Json;
}

const METHODS = ["get", "put", "post", "delete", "patch"] as const;

/** Every difference that breaks the client, as `METHOD /api/path: what`; empty when compatible. */
export function contractProblems(ours: Json, theirs: Json): string[] {
  const problems: string[] = [];
  const ourPaths = fullPaths(ours);
  const theirPaths = fullPaths(theirs);
  const theirSchemes = ((theirs.components as Json | undefined)?.securitySchemes ?? {}) as Record<string, Json>;
  for (const [name, scheme] of Object.entries(
    ((ours.components as Json | undefined)?.securitySchemes ?? {}) as Record<string, Json>,
  )) {
    const their = theirSchemes[name];
    if (!their || their.type !== scheme.type || their.scheme !== scheme.scheme)
      problems.push(`security scheme ${name}: Grafana's description has no such ${String(scheme.type)} scheme`);
  }
  for (const [path, item] of Object.entries(ourPaths)) {
    const theirItem = theirPaths[path];
    for (const method of METHODS) {
      const operation = item[method] as Operation | undefined;
      if (!operation) continue;
      const where = `${method.toUpperCase()} ${path}`;
      const theirOperation = theirItem?.[method] as Operation | undefined;
      if (!theirOperation) {
        problems.push(`${where}: Grafana's description has no such ${theirItem ? "method" : "path"}`);
        continue;
      }
      const report = (what: string) => problems.push(`${where}: ${what}`);
      compareParameters(
        parameters(ours, item, operation),
        parameters(theirs, theirItem ?? {}, theirOperation),
        ours,
        theirs,
        report,
      );
      compareRequestBody(operation, theirOperation, ours, theirs, report);
      compareResponses(operation, theirOperation, ours, theirs, report);
    }
  }
  return problems;
}

/** Paths with their server's path in front (`/api/health`). */
function fullPaths(document: Json): Record<string, Json> {
  const server = ((document.servers as Array<{ url: string }> | undefined)?.[0]?.url ?? "").replace(/\/$/, "");
  return Object.fromEntries(
    Object.entries(document.paths as Record<string, Json>).map(([path, item]) => [`${server}${path}`, item]),
  );
}

function resolve<T>(document: Json, node: T): T {
  let current = node as unknown;
  for (let depth = 0; depth < 20; depth++) {
    const ref = (current as { $ref?: unknown } | undefined)?.$ref;
    if (typeof ref !== "string") return current as T;
    current = ref
      .replace(/^#\//, "")
      .split("/")
      .reduce<unknown>((at, key) => (at as Json | undefined)?.[key.replace(/~1/g, "/").replace(/~0/g, "~")], document);
    if (current === undefined) throw new Error(`unresolved ${ref}`);
  }
  return current as T;
}

function parameters(document: Json, item: Json, operation: Operation): Map<string, Parameter> {
  const all = [...((item.parameters as Operation["parameters"]) ?? []), ...(operation.parameters ?? [])];
  return new Map(
    all.map((p) => resolve<Parameter>(document, p as Parameter)).map((p) => [`${p.in} parameter ${p.name}`, p]),
  );
}

function compareParameters(
  ours: Map<string, Parameter>,
  theirs: Map<string, Parameter>,
  ourDocument: Json,
  theirDocument: Json,
  report: (what: string) => void,
) {
  for (const [key, our] of ours) {
    const their = theirs.get(key);
    if (!their) {
      report(`${key}: Grafana's description has no such parameter`);
      continue;
    }
    if (their.required && !our.required) report(`${key}: Grafana requires it`);
    const style = (p: Parameter) => `${p.style ?? "form"} explode=${p.explode ?? (p.style ?? "form") === "form"}`;
    if (our.in === "query" && style(our) !== style(their))
      report(`${key}: serialised as ${style(our)}, Grafana's description says ${style(their)}`);
    compareSchema(our.schema ?? {}, their.schema ?? {}, "request", ourDocument, theirDocument, key, report);
  }
  for (const [key, their] of theirs)
    if (their.required && !ours.has(key)) report(`${key}: Grafana requires it, the description here lacks it`);
}

function jsonSchema(document: Json, holder: Json | undefined): Schema | undefined {
  const content = resolve(document, holder)?.content as Record<string, { schema?: Schema }> | undefined;
  return content?.["application/json"]?.schema;
}

function compareRequestBody(
  ours: Operation,
  theirs: Operation,
  ourDocument: Json,
  theirDocument: Json,
  report: (what: string) => void,
) {
  const ourBody = resolve(ourDocument, ours.requestBody);
  const theirBody = resolve(theirDocument, theirs.requestBody);
  if (!ourBody) {
    if (theirBody?.required) report("request body: Grafana requires one");
    return;
  }
  if (!theirBody) return report("request body: Grafana's description takes none");
  const ourSchema = jsonSchema(ourDocument, ourBody);
  const theirSchema = jsonSchema(theirDocument, theirBody);
  if (ourSchema && !theirSchema) return report("request body: Grafana's description takes no JSON");
  if (ourSchema && theirSchema)
    compareSchema(ourSchema, theirSchema, "request", ourDocument, theirDocument, "request body", report);
}

function compareResponses(
  ours: Operation,
  theirs: Operation,
  ourDocument: Json,
  theirDocument: Json,
  report: (what: string) => void,
) {
  for (const [status, ourResponse] of Object.entries(ours.responses ?? {})) {
    const theirResponse = theirs.responses?.[status] ?? theirs.responses?.default;
    if (!theirResponse) {
      report(`response ${status}: Grafana's description has no such status`);
      continue;
    }
    const ourSchema = jsonSchema(ourDocument, ourResponse);
    if (!ourSchema) continue;
    const theirSchema = jsonSchema(theirDocument, theirResponse);
    if (!theirSchema) {
      report(`response ${status}: Grafana's description has no JSON body`);
      continue;
    }
    compareSchema(ourSchema, theirSchema, "response", ourDocument, theirDocument, `response ${status}`, report);
  }
}

/** The schema with `$ref` resolved and an `allOf` merged into one object. */
function flatten(document: Json, node: Schema): Schema {
  const schema = resolve(document, node);
  if (!schema.allOf) return schema;
  const parts = schema.allOf.map((part) => flatten(document, part));
  const merged: Schema = { ...schema, type: "object", properties: {}, required: [...(schema.required ?? [])] };
  delete merged.allOf;
  for (const part of [schema, ...parts]) {
    Object.assign(merged.properties as object, part.properties ?? {});
    merged.required?.push(...(part.required ?? []));
  }
  return merged;
}

/**
 * `request`: every value ours allows, theirs allows. `response`: every field
 * ours reads is in theirs with a type ours accepts.
 */
function compareSchema(
  ourNode: Schema,
  theirNode: Schema,
  direction: "request" | "response",
  ourDocument: Json,
  theirDocument: Json,
  where: string,
  report: (what: string) => void,
  seen = new WeakMap<object, WeakSet<object>>(),
): void {
  // A recursive schema (a policy's `routes`) is compared once per pair.
  const ourResolved = resolve(ourDocument, ourNode);
  const theirResolved = resolve(theirDocument, theirNode);
  const pairs = seen.get(ourResolved) ?? new WeakSet<object>();
  if (pairs.has(theirResolved)) return;
  pairs.add(theirResolved);
  seen.set(ourResolved, pairs);
  const ours = flatten(ourDocument, ourNode);
  const theirs = flatten(theirDocument, theirNode);
  if (theirs.type !== undefined && ours.type !== theirs.type) {
    const widened =
      direction === "request"
        ? ours.type === "integer" && theirs.type === "number"
        : ours.type === "number" && theirs.type === "integer";
    if (!widened) report(`${where}: of type ${ours.type ?? "any"}, Grafana's description says ${theirs.type}`);
    return;
  }
  // Grafana 11.4's description has enum values with a leading space (" email"); Grafana trims them.
  const theirEnum = theirs.enum?.map((v) => (typeof v === "string" ? v.trim() : v));
  if (direction === "request" && theirEnum) {
    const outside = ours.enum ? ours.enum.filter((v) => !theirEnum.includes(v)) : ["any value"];
    if (outside.length > 0)
      report(`${where}: may be ${outside.join(", ")}, Grafana's description allows only ${theirEnum.join(", ")}`);
  }
  if (direction === "response" && ours.enum) {
    const unknown = theirEnum ? theirEnum.filter((v) => !ours.enum?.includes(v)) : ["any value"];
    if (unknown.length > 0) report(`${where}: Grafana may answer ${unknown.join(", ")}, not among its values here`);
  }
  if (ours.items)
    compareSchema(ours.items, theirs.items ?? {}, direction, ourDocument, theirDocument, `${where}[]`, report, seen);
  const theirProperties = theirs.properties;
  const theirAdditional = typeof theirs.additionalProperties === "object" ? theirs.additionalProperties : undefined;
  for (const [name, property] of Object.entries(ours.properties ?? {})) {
    const their = theirProperties?.[name] ?? theirAdditional;
    if (their) compareSchema(property, their, direction, ourDocument, theirDocument, `${where}.${name}`, report, seen);
    else if (theirProperties !== undefined || theirs.additionalProperties === false)
      report(`${where}.${name}: Grafana's description has no such field`);
  }
  if (typeof ours.additionalProperties === "object") {
    const their = theirAdditional ?? (theirProperties === undefined ? {} : undefined);
    if (their)
      compareSchema(
        ours.additionalProperties,
        their,
        direction,
        ourDocument,
        theirDocument,
        `${where}.*`,
        report,
        seen,
      );
    else report(`${where}: has fields of any name, Grafana's description has fixed ones`);
  }
  if (direction === "request")
    for (const name of theirs.required ?? [])
      if (!ours.required?.includes(name)) report(`${where}.${name}: Grafana requires it`);
}
