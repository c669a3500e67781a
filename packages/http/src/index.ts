export type { FastifyBaseLogger, FastifyReply, FastifyRequest } from "fastify";
export { type CsvFormat, type CsvValue, csvFormat, csvLine, csvLines, GERMAN_CSV, RFC4180 } from "./csv.ts";
export {
  badParameter,
  HttpProblem,
  notFound,
  PROBLEM_CONTENT_TYPE,
  type Problem,
  problemBody,
  unauthorized,
} from "./problem.ts";
export { bearerToken, createHttpServer, type HttpServer, type HttpServerOptions } from "./server.ts";
export { jsonArrayDocument, sendStream } from "./stream.ts";
