/**
 * What the test doubles of servers that cannot run here (InfluxDB 2.x,
 * Grafana) share: they check every request they receive and every answer
 * they give against the server's own OpenAPI description (read from a path
 * outside the repository, never copied into it), with openapi-backend and
 * ajv. Stricter than the descriptions in one way: an object may hold only
 * the properties they declare, so a misspelt field fails instead of being
 * ignored, as the servers' JSON decoding would.
 */
import type { IncomingMessage } from "node:http";
import addFormats from "ajv-formats";
import OpenAPIBackend, { type Request as ApiRequest, type Document, type Operation } from "openapi-backend";

export type Json = Record<string, unknown>;
export type { OpenAPIBackend };

export interface ApiBackendOptions {
  /** The path every path of the description is under (`/api/v2`, `/api`, or `/`). */
  readonly apiRoot: string;
  /** Formats the servers mean differently from ajv-formats (a Go duration, a relative `uri`). */
  readonly formats?: Readonly<Record<string, (value: string) => boolean>>;
}

// Reading and preparing a description takes most of a second: once per key and test run.
const backends = new Map<string, Promise<OpenAPIBackend>>();

/**
 * An openapi-backend for the description `prepare` returns, prepared once per
 * `key` (the file's path and what was done to it) and test run.
 */
export function apiBackend(key: string, prepare: () => Json, options: ApiBackendOptions): Promise<OpenAPIBackend> {
  let api = backends.get(key);
  if (!api) {
    api = createBackend(prepare(), options);
    backends.set(key, api);
  }
  return api;
}

async function createBackend(definition: Json, options: ApiBackendOptions) {
  const api = new OpenAPIBackend({
    definition: definition as unknown as Document,
    apiRoot: options.apiRoot,
    // The vendors' descriptions put keywords beside `$ref` and fail a strict check of the document itself.
    quick: true,
    validate: true,
    ajvOpts: { strict: false, logger: false },
    customizeAjv: (ajv) => {
      // A CommonJS module: its function is the default export's `default`.
      addFormats.default(ajv);
      for (const [name, check] of Object.entries(options.formats ?? {})) ajv.addFormat(name, check);
      return ajv;
    },
  });
  await api.init();
  return api;
}

/** A request as openapi-backend takes it, the operation of `apis` it matched, and its JSON body. */
export interface CheckedRequest {
  readonly api: OpenAPIBackend;
  readonly operation: Operation;
  readonly request: ApiRequest;
  readonly body: unknown;
}

/**
 * Checks a received request (its body already read as text) against the
 * descriptions: a JSON body, an operation with this method and path, and
 * parameters and body as that operation allows. Returns the refusal (status
 * and reason) where it is not.
 */
export function checkRequest(
  apis: readonly OpenAPIBackend[],
  incoming: IncomingMessage,
  url: URL,
  text: string,
): CheckedRequest | { readonly status: number; readonly reason: string } {
  let body: unknown;
  if (text !== "") {
    if (!(incoming.headers["content-type"] ?? "").startsWith("application/json"))
      return {
        status: 400,
        reason: `a body of type ${incoming.headers["content-type"] ?? "(none)"}, not application/json`,
      };
    try {
      body = JSON.parse(text);
    } catch {
      return { status: 400, reason: "a body that is not JSON" };
    }
  }
  const request: ApiRequest = {
    method: (incoming.method ?? "GET").toLowerCase(),
    path: url.pathname,
    headers: incoming.headers as ApiRequest["headers"],
    query: url.search.slice(1),
    ...(body !== undefined ? { body } : {}),
  };
  const matched = apis
    .map((api) => ({ api, operation: api.router.matchOperation(request) }))
    .find((m) => m.operation !== undefined);
  if (!matched?.operation) return { status: 404, reason: "no operation of the descriptions has this method and path" };
  const validation = matched.api.validateRequest(request, matched.operation);
  if (!validation.valid)
    return { status: 400, reason: `not as the description allows: ${describeErrors(validation.errors)}` };
  return { api: matched.api, operation: matched.operation, request, body };
}

/** Why an answer is not as the operation describes it, or undefined. A body of `undefined` is checked as null. */
export function responseProblem(checked: CheckedRequest, status: number, body: unknown): string | undefined {
  const result = checked.api.validateResponse(body ?? null, checked.operation, status);
  return result.valid ? undefined : describeErrors(result.errors);
}

/** Query values as JSON types where they are booleans or numbers (the schemas' types). */
export function queryValues(url: URL): Json {
  const values: Json = {};
  for (const [name, value] of url.searchParams)
    values[name] = value === "true" ? true : value === "false" ? false : /^\d+$/.test(value) ? Number(value) : value;
  return values;
}

export async function readBody(incoming: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of incoming) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

export function describeErrors(
  errors: Array<{ instancePath?: string; message?: string; params?: unknown }> | null | undefined,
) {
  return (errors ?? [])
    .map((e) => `${e.instancePath || "/"} ${e.message ?? ""} ${JSON.stringify(e.params ?? {})}`)
    .join("; ");
}

type Schema = Json & {
  $ref?: string;
  allOf?: Schema[];
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
};

/**
 * Closes every object schema (`additionalProperties: false` where the
 * description leaves it open); an `allOf` of objects becomes one object with
 * the properties and requirements of all its parts, so that closing it does
 * not refuse the other parts' properties.
 */
export function closeObjects(document: Json): void {
  const schemas = ((document.components as Json | undefined)?.schemas ?? {}) as Record<string, Schema>;
  const resolve = (schema: Schema): Schema => {
    const ref = schema.$ref;
    if (ref === undefined) return schema;
    const target = schemas[ref.replace("#/components/schemas/", "")];
    if (!target) throw new Error(`unresolved ${ref}`);
    return resolve(target);
  };
  const parts = (schema: Schema): Schema[] => {
    const resolved = resolve(schema);
    return resolved.allOf ? [resolved, ...resolved.allOf.flatMap(parts)] : [resolved];
  };
  const seen = new WeakSet<object>();
  const visit = (schema: Schema | undefined): void => {
    if (!schema || typeof schema !== "object" || schema.$ref !== undefined || seen.has(schema)) return;
    seen.add(schema);
    if (schema.allOf) {
      const all = parts(schema);
      if (all.every((part) => !part.oneOf && !part.anyOf && part.type !== "array")) {
        schema.properties = Object.assign({}, ...all.map((part) => part.properties ?? {}));
        schema.required = [...new Set(all.flatMap((part) => part.required ?? []))];
        schema.type = "object";
        delete schema.allOf;
      }
    }
    if (schema.properties && schema.additionalProperties === undefined && !schema.oneOf && !schema.anyOf)
      schema.additionalProperties = false;
    for (const child of Object.values(schema.properties ?? {})) visit(child);
    visit(schema.items);
    for (const key of ["allOf", "oneOf", "anyOf"] as const)
      for (const child of (schema[key] as Schema[] | undefined) ?? []) visit(child);
    if (typeof schema.additionalProperties === "object") visit(schema.additionalProperties as Schema);
  };
  const walk = (node: unknown, inSchemas: boolean): void => {
    if (!node || typeof node !== "object") return;
    for (const [key, value] of Object.entries(node)) {
      if (inSchemas || key === "schema") visit(value as Schema);
      else walk(value, node === document.components && key === "schemas");
    }
  };
  walk(document, false);
}
