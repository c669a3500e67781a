import { createServer, request as httpRequest, type Server } from "node:http";
import type { AddressInfo } from "node:net";

const PRECISION: Record<string, string> = { ns: "n", us: "u", ms: "ms", s: "s" };

/**
 * InfluxDB 1.6.7 (Debian's) predates `/api/v2/write`. This front does what 1.8's
 * compatibility endpoint does: `POST /api/v2/write?bucket=db/rp&precision=P`
 * becomes `POST /write?db=db&rp=rp&precision=P'`; the body and its gzip encoding
 * pass through untouched. Everything else (`/query`, `/ping`) passes as it is.
 *
 * 1.8 also takes `Authorization: Token <user>:<password>` on every endpoint as a
 * user's credentials (what clients of `/api/v2/write` send); 1.6.7 knows only
 * Basic, so the front turns the one into the other. A Token without a colon is
 * refused with 401, as 1.8 refuses credentials it cannot parse.
 */
export async function startInfluxV2Front(
  upstreamPort: number,
  port = 0,
): Promise<{ url: string; port: number; close(): Promise<void> }> {
  const server: Server = createServer((request, response) => {
    const url = new URL(request.url ?? "/", "http://front");
    let path = `${url.pathname}${url.search}`;
    if (url.pathname === "/api/v2/write") {
      const [db = "", rp] = (url.searchParams.get("bucket") ?? "").split("/");
      const params = new URLSearchParams({
        db,
        precision: PRECISION[url.searchParams.get("precision") ?? "ns"] ?? "n",
      });
      if (rp) params.set("rp", rp);
      path = `/write?${params}`;
    }
    const headers = { ...request.headers };
    const token = /^Token (.*)$/.exec(headers.authorization ?? "")?.[1];
    if (token !== undefined) {
      if (!token.includes(":")) {
        response.writeHead(401, { "content-type": "application/json" });
        response.end(`${JSON.stringify({ error: "unable to parse authentication credentials" })}\n`);
        request.resume();
        return;
      }
      headers.authorization = `Basic ${Buffer.from(token).toString("base64")}`;
    }
    const upstream = httpRequest(
      { host: "127.0.0.1", port: upstreamPort, method: request.method, path, headers },
      (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(response);
      },
    );
    // InfluxDB itself is down: answer as a load balancer in front of it would.
    upstream.on("error", () => {
      if (!response.headersSent) response.writeHead(503, { "content-type": "text/plain" });
      response.end("influxdb unavailable\n");
    });
    request.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  const actual = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${actual}`,
    port: actual,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
