import type { Secret } from "@stadtfluss/config";
import { StadtflussError } from "@stadtfluss/errors";

/** Where the InfluxDB 2.x API is, the organisation managed, and an operator's or all-access token of it. */
export interface Influx2Settings {
  readonly url: string;
  readonly org: string;
  readonly token: Secret;
}

/** A request InfluxDB 2.x answered with an error (its `code` and `message`, never a token). */
export class Influx2ApiError extends StadtflussError {
  readonly status: number;
  constructor(message: string, status: number) {
    super(message, { retriable: status >= 500 || status === 429, context: { status } });
    this.status = status;
  }
}

type Query = Readonly<Record<string, string | number | boolean | undefined>>;

/**
 * One call of the InfluxDB 2.x API (`/api/v2/...`, or `/private/...` for the
 * v1 authorizations), as InfluxData's OpenAPI description defines it: JSON in
 * and out, `Authorization: Token`. Answers other than 2xx throw with InfluxDB's
 * error code and message; bodies with tokens are never part of an error.
 */
export async function influx2Request<T = unknown>(
  settings: Influx2Settings,
  method: "GET" | "POST" | "PATCH" | "DELETE",
  path: string,
  options: { readonly query?: Query; readonly body?: unknown } = {},
): Promise<T> {
  const url = new URL(settings.url);
  url.pathname = `${url.pathname.replace(/\/$/, "")}${path}`;
  for (const [name, value] of Object.entries(options.query ?? {}))
    if (value !== undefined) url.searchParams.set(name, String(value));
  const headers: Record<string, string> = {
    authorization: `Token ${settings.token.reveal()}`,
    accept: "application/json",
  };
  if (options.body !== undefined) headers["content-type"] = "application/json";
  const response = await fetch(url, {
    method,
    headers,
    ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
  }).catch((cause: unknown) => {
    throw new StadtflussError(`InfluxDB 2 at ${settings.url} cannot be reached: ${(cause as Error).message}`, {
      retriable: true,
      cause,
    });
  });
  const text = await response.text();
  if (!response.ok) {
    let reason = text.slice(0, 300);
    try {
      const error = JSON.parse(text) as { code?: string; message?: string };
      reason = [error.code, error.message].filter(Boolean).join(": ");
    } catch {
      // Not InfluxDB's JSON error (a proxy's page): its start is the reason.
    }
    throw new Influx2ApiError(`${method} ${path} answered ${response.status}: ${reason}`, response.status);
  }
  return (text === "" ? undefined : JSON.parse(text)) as T;
}
