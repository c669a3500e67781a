import type { Secret } from "@stadtfluss/config";
import { StadtflussError } from "@stadtfluss/errors";
import createClient, { type Client } from "openapi-fetch";
import type { components, operations, paths } from "./generated/grafana-subset.ts";

export type { components, operations, paths };
/** The request and response bodies of the API subset, by name (`GrafanaSchemas["DataSource"]`). */
export type GrafanaSchemas = components["schemas"];
export type GrafanaClient = Client<paths>;

/**
 * Who calls. Organisations are created and listed only by a Grafana server
 * admin (a user: basic auth); everything inside one organisation works with a
 * service account token of that organisation, which can reach no other.
 */
export type GrafanaCredential =
  | { readonly kind: "basic"; readonly user: string; readonly password: Secret }
  | { readonly kind: "token"; readonly token: Secret };

export interface GrafanaClientOptions {
  /** Grafana's root URL, for example `https://grafana.example.de` or `http://127.0.0.1:3000/grafana`. */
  readonly url: string;
  readonly credential: GrafanaCredential;
  /**
   * The organisation a user's requests act in (`X-Grafana-Org-Id`); without it,
   * the user's current one. A token always acts in its own organisation.
   */
  readonly orgId?: number;
  readonly fetch?: (request: Request) => Promise<Response>;
}

/** A typed client (openapi-fetch) for the operations of `openapi/grafana-subset.yaml`. */
export function createGrafanaClient(options: GrafanaClientOptions): GrafanaClient {
  const headers: Record<string, string> = {
    authorization:
      options.credential.kind === "basic"
        ? `Basic ${Buffer.from(`${options.credential.user}:${options.credential.password.reveal()}`).toString("base64")}`
        : `Bearer ${options.credential.token.reveal()}`,
    accept: "application/json",
  };
  if (options.orgId !== undefined) headers["x-grafana-org-id"] = String(options.orgId);
  const send = options.fetch ?? fetch;
  return createClient<paths>({
    baseUrl: `${options.url.replace(/\/$/, "")}/api`,
    headers,
    fetch: (request) =>
      send(request).catch((cause: unknown) => {
        throw new GrafanaUnreachableError(options.url, cause);
      }),
  });
}

/** What a refused request lacks, in words an operator can act on. */
function hint(status: number): string {
  if (status === 401) return "Grafana did not accept the credential (wrong password, revoked or expired token)";
  if (status === 403)
    return "the credential lacks the permission (creating and listing organisations needs a Grafana server admin; inside an organisation, a service account with the Admin role)";
  if (status === 404) return "not found";
  return "";
}

/** A request Grafana answered with an error: its status and message, never a credential. */
export class GrafanaApiError extends StadtflussError {
  readonly status: number;
  constructor(action: string, status: number, message: string) {
    const why = [hint(status), message].filter(Boolean).join(": ");
    super(`Grafana refused to ${action} (HTTP ${status}${why ? `, ${why}` : ""})`, {
      retriable: status >= 500 || status === 429,
      context: { status },
    });
    this.status = status;
  }
}

/** Grafana could not be reached at all (connection refused, DNS, TLS). */
export class GrafanaUnreachableError extends StadtflussError {
  constructor(url: string, cause: unknown) {
    super(`Grafana at ${url} cannot be reached: ${cause instanceof Error ? cause.message : String(cause)}`, {
      retriable: true,
      cause,
    });
  }
}

/**
 * The data of a successful answer, or a GrafanaApiError naming `action`
 * (`"create the organisation Musterstadt"`). Use with any call of the client:
 * `await grafanaData(client.GET("/folders/{folder_uid}", ...), "read the folder")`.
 */
export async function grafanaData<T>(
  call: Promise<{ data?: T; error?: unknown; response: Response }>,
  action: string,
): Promise<T> {
  const { data, error, response } = await call;
  if (!response.ok) {
    const message =
      typeof error === "object" && error !== null && "message" in error && typeof error.message === "string"
        ? error.message
        : typeof error === "string"
          ? error.slice(0, 300)
          : "";
    throw new GrafanaApiError(action, response.status, message);
  }
  return data as T;
}

/**
 * Grafana's version from `/api/health` (needs no credential), for example
 * "11.4.0"; undefined where Grafana is set to hide it.
 */
export async function grafanaVersion(client: GrafanaClient): Promise<string | undefined> {
  const health = await grafanaData(client.GET("/health"), "report its health");
  return health.version;
}
