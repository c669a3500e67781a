/**
 * RFC 9457 problem details: every error a Stadtfluss API answers has this body,
 * as `application/problem+json`, so a client handles all errors one way.
 */
export interface Problem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail?: string;
  readonly instance?: string;
  /** RFC 9457's own example extension for a 400: which parameters and why. */
  readonly "invalid-params"?: ReadonlyArray<{ readonly name: string; readonly reason: string }>;
}

export const PROBLEM_CONTENT_TYPE = "application/problem+json";

const titles: Readonly<Record<number, string>> = {
  400: "Bad Request",
  401: "Unauthorized",
  404: "Not Found",
  405: "Method Not Allowed",
  406: "Not Acceptable",
  500: "Internal Server Error",
  503: "Service Unavailable",
};

/** An error a route throws on purpose; the error handler answers it as a problem body. */
export class HttpProblem extends Error {
  readonly status: number;
  readonly invalidParams?: ReadonlyArray<{ readonly name: string; readonly reason: string }>;
  readonly headers: Readonly<Record<string, string>>;

  constructor(
    status: number,
    detail: string,
    options: {
      readonly invalidParams?: ReadonlyArray<{ readonly name: string; readonly reason: string }>;
      readonly headers?: Readonly<Record<string, string>>;
    } = {},
  ) {
    super(detail);
    this.name = "HttpProblem";
    this.status = status;
    if (options.invalidParams) this.invalidParams = options.invalidParams;
    this.headers = options.headers ?? {};
  }
}

/** A 400 naming the parameter that is wrong. */
export function badParameter(name: string, reason: string): HttpProblem {
  return new HttpProblem(400, `${name}: ${reason}`, { invalidParams: [{ name, reason }] });
}

/** A 401 with the challenge RFC 6750 asks for. */
export function unauthorized(detail: string): HttpProblem {
  return new HttpProblem(401, detail, { headers: { "www-authenticate": 'Bearer realm="stadtfluss"' } });
}

export function notFound(detail: string): HttpProblem {
  return new HttpProblem(404, detail);
}

/** The body for `status`: `type` stays `about:blank`, whose title is the status phrase (RFC 9457 §4.2.1). */
export function problemBody(
  status: number,
  detail?: string,
  extra: Pick<Problem, "instance" | "invalid-params"> = {},
): Problem {
  return {
    type: "about:blank",
    title: titles[status] ?? (status >= 500 ? "Server Error" : "Client Error"),
    status,
    ...(detail === undefined ? {} : { detail }),
    ...extra,
  };
}
