import fastifyEtag from "@fastify/etag";
import fastifySwagger from "@fastify/swagger";
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from "fastify";
import {
  hasZodFastifySchemaValidationErrors,
  jsonSchemaTransform,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from "fastify-type-provider-zod";
import { HttpProblem, PROBLEM_CONTENT_TYPE, problemBody } from "./problem.ts";

export type HttpServer = FastifyInstance<
  import("node:http").Server,
  import("node:http").IncomingMessage,
  import("node:http").ServerResponse,
  FastifyBaseLogger,
  ZodTypeProvider
>;

export interface HttpServerOptions {
  readonly title: string;
  readonly version: string;
  readonly description?: string;
  /** A pino logger; request logs go through it. Authorization headers are redacted. */
  readonly logger?: FastifyBaseLogger;
  /** Security schemes for the OpenAPI description (a bearer token for the meter-data API). */
  readonly bearerAuth?: boolean;
  /**
   * `Cache-Control` of every answer: `private, no-store` for personal data, a
   * max-age for open data. Whole (not streamed) answers also carry an ETag and
   * answer a matching `If-None-Match` with 304.
   */
  readonly cacheControl?: string;
}

/**
 * A Fastify server with the conventions every Stadtfluss API shares: request
 * parameters validated by zod schemas, the OpenAPI description generated from
 * the same schemas at `/openapi.json`, and every error as an RFC 9457 problem.
 */
export async function createHttpServer(options: HttpServerOptions): Promise<HttpServer> {
  const app = Fastify({
    ...(options.logger ? { loggerInstance: options.logger } : { logger: false }),
    // Proxies and load balancers in front set the id; the log keeps it.
    requestIdHeader: "x-request-id",
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);

  // Awaited so that the routes added after it are in the description.
  await app.register(fastifySwagger, {
    openapi: {
      openapi: "3.1.0",
      info: {
        title: options.title,
        version: options.version,
        ...(options.description ? { description: options.description } : {}),
      },
      ...(options.bearerAuth
        ? {
            components: { securitySchemes: { bearerAuth: { type: "http", scheme: "bearer" } } },
            security: [{ bearerAuth: [] }],
          }
        : {}),
    },
    transform: jsonSchemaTransform,
  });

  await app.register(fastifyEtag, { weak: true });
  if (options.cacheControl !== undefined) {
    const cacheControl = options.cacheControl;
    app.addHook("onRequest", async (_request, reply) => {
      reply.header("cache-control", cacheControl);
    });
  }

  app.setErrorHandler((error, request, reply) => {
    if (error instanceof HttpProblem) {
      void reply
        .code(error.status)
        .headers(error.headers)
        .type(PROBLEM_CONTENT_TYPE)
        .send(
          problemBody(
            error.status,
            error.message,
            error.invalidParams ? { "invalid-params": error.invalidParams } : {},
          ),
        );
      return;
    }
    if (hasZodFastifySchemaValidationErrors(error)) {
      const invalid = error.validation.map((issue) => ({
        name: issue.instancePath.replace(/^\//, "").replaceAll("/", ".") || (error.validationContext ?? "request"),
        reason: issue.message ?? "is invalid",
      }));
      void reply
        .code(400)
        .type(PROBLEM_CONTENT_TYPE)
        .send(problemBody(400, invalid.map((p) => `${p.name}: ${p.reason}`).join("; "), { "invalid-params": invalid }));
      return;
    }
    const status =
      typeof error === "object" && error !== null && "statusCode" in error ? Number(error.statusCode) : 500;
    if (status >= 500 || !Number.isInteger(status)) {
      request.log.error({ err: error }, "request failed");
      void reply.code(500).type(PROBLEM_CONTENT_TYPE).send(problemBody(500));
      return;
    }
    // Fastify's own client errors (a body too large, a bad content type).
    void reply
      .code(status)
      .type(PROBLEM_CONTENT_TYPE)
      .send(problemBody(status, error instanceof Error ? error.message : undefined));
  });
  app.setNotFoundHandler((request, reply) => {
    void reply
      .code(404)
      .type(PROBLEM_CONTENT_TYPE)
      .send(problemBody(404, `no route ${request.method} ${request.url.split("?")[0]}`));
  });

  app.get("/openapi.json", { schema: { hide: true } }, async () => app.swagger());
  return app;
}

/** The bearer token of a request, or undefined when it has none. */
export function bearerToken(authorization: string | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? "");
  return match?.[1];
}
