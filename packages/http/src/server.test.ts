import { describe, expect, it } from "vitest";
import { z } from "zod";
import { badParameter, unauthorized } from "./problem.ts";
import { bearerToken, createHttpServer } from "./server.ts";
import { jsonArrayDocument, sendStream } from "./stream.ts";

async function server() {
  const app = await createHttpServer({
    title: "Test API",
    version: "1.0.0",
    bearerAuth: true,
    cacheControl: "public, max-age=60",
  });
  app.get(
    "/meters/:id",
    {
      schema: {
        params: z.object({ id: z.string().regex(/^[a-z0-9-]+$/) }),
        querystring: z.object({
          resolution: z.enum(["15m", "1h"]).default("15m"),
          limit: z.coerce.number().int().optional(),
        }),
        response: { 200: z.object({ id: z.string(), resolution: z.string() }) },
      },
    },
    async (request) => {
      if (request.params.id === "secret") throw unauthorized("token expired");
      if (request.params.id === "late") throw badParameter("to", "must be after from");
      return { id: request.params.id, resolution: request.query.resolution };
    },
  );
  app.get("/stream", async (_request, reply) =>
    sendStream(reply, "application/json", jsonArrayDocument({ meter: "m1" }, "rows", [{ a: 1 }, { a: 2 }])),
  );
  return app;
}

describe("the shared HTTP conventions", () => {
  it("a wrong query parameter answers 400 with a problem body naming it", async () => {
    const response = await (await server()).inject({ url: "/meters/m1?resolution=5m" });
    expect(response.statusCode).toBe(400);
    expect(response.headers["content-type"]).toMatch(/^application\/problem\+json/);
    const body = response.json();
    expect(body).toMatchObject({ type: "about:blank", title: "Bad Request", status: 400 });
    expect(body["invalid-params"]).toEqual([expect.objectContaining({ name: "resolution" })]);
    expect(body.detail).toContain("resolution");
  });

  it("a route's own 400 names the parameter too", async () => {
    const body = (await (await server()).inject({ url: "/meters/late" })).json();
    expect(body).toMatchObject({ status: 400, "invalid-params": [{ name: "to", reason: "must be after from" }] });
  });

  it("a 401 carries the bearer challenge and a problem body", async () => {
    const response = await (await server()).inject({ url: "/meters/secret" });
    expect(response.statusCode).toBe(401);
    expect(response.headers["www-authenticate"]).toMatch(/^Bearer/);
    expect(response.json()).toMatchObject({ status: 401, title: "Unauthorized", detail: "token expired" });
  });

  it("an unknown route answers 404 as a problem", async () => {
    const response = await (await server()).inject({ url: "/nothing" });
    expect(response.statusCode).toBe(404);
    expect(response.json()).toMatchObject({ status: 404, title: "Not Found" });
  });

  it("validated parameters reach the handler with their defaults", async () => {
    const response = await (await server()).inject({ url: "/meters/m1" });
    expect(response.json()).toEqual({ id: "m1", resolution: "15m" });
  });

  it("the OpenAPI description is generated from the routes' schemas", async () => {
    const app = await server();
    const document = (await app.inject({ url: "/openapi.json" })).json();
    expect(document.openapi).toBe("3.1.0");
    const operation = document.paths["/meters/{id}"].get;
    expect(operation.parameters.map((p: { name: string }) => p.name).sort()).toEqual(["id", "limit", "resolution"]);
    expect(document.components.securitySchemes.bearerAuth).toEqual({ type: "http", scheme: "bearer" });
    expect(document.paths["/openapi.json"]).toBeUndefined();
  });

  it("a streamed JSON document is one valid document", async () => {
    const response = await (await server()).inject({ url: "/stream" });
    expect(response.json()).toEqual({ meter: "m1", rows: [{ a: 1 }, { a: 2 }] });
  });

  it("a whole answer carries an ETag and the cache policy; the same ETag again answers 304", async () => {
    const app = await server();
    const first = await app.inject({ url: "/meters/m1" });
    expect(first.headers["cache-control"]).toBe("public, max-age=60");
    const etag = first.headers.etag as string;
    expect(etag).toMatch(/^W\//);
    const again = await app.inject({ url: "/meters/m1", headers: { "if-none-match": etag } });
    expect(again.statusCode).toBe(304);
    expect(again.body).toBe("");
  });

  it("reads a bearer token and nothing else", () => {
    expect(bearerToken("Bearer abc.def")).toBe("abc.def");
    expect(bearerToken("bearer abc")).toBe("abc");
    expect(bearerToken("Basic abc")).toBeUndefined();
    expect(bearerToken(undefined)).toBeUndefined();
  });
});
