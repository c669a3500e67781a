import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { type RunningProcess, startProcess } from "./child-process.ts";
import { freePort } from "./free-port.ts";
import { startInfluxV2Front } from "./influx-v2-front.ts";

/** InfluxDB 1.x's own capacity limits (`[data]` section); unset: its defaults. */
export interface InfluxLimits {
  readonly maxSeriesPerDatabase?: number;
  readonly maxValuesPerTag?: number;
}

/** The first admin of an auth-enabled InfluxDB, created by the fixture. */
export interface InfluxAdmin {
  readonly username: string;
  readonly password: string;
}

export interface InfluxServer {
  /** Where clients write (`/api/v2/write`) and query (`/query`). */
  readonly url: string;
  /** Set when started with `auth: true`: the admin the fixture created. */
  readonly admin?: InfluxAdmin;
  /** Takes effect at the next startServer(), as a changed configuration file does. */
  setLimits(limits: InfluxLimits): void;
  /** Stops influxd only; the front answers 503 meanwhile, as a proxy would. */
  stopServer(): Promise<void>;
  startServer(): Promise<void>;
  stop(): Promise<void>;
  /** influxd's process id while it runs (benchmarks read its memory from /proc). */
  serverPid(): number | undefined;
}

/**
 * Debian's InfluxDB 1.6.7 with a generated config in a temp folder, plus the v2-write front.
 * With `auth: true` it runs with `auth-enabled = true` and the fixture creates the first
 * admin (InfluxDB allows exactly that one statement unauthenticated while no user exists).
 */
export async function startInfluxDB(
  options: { port?: number; limits?: InfluxLimits; auth?: boolean } = {},
): Promise<InfluxServer> {
  const dir = mkdtempSync(join(tmpdir(), "sf-influxdb-"));
  const [rpcPort, httpPort] = [await freePort(), await freePort()];
  const config = join(dir, "influxdb.conf");
  const writeConfig = (limits: InfluxLimits) =>
    writeFileSync(
      config,
      `reporting-disabled = true
bind-address = "127.0.0.1:${rpcPort}"
[meta]
  dir = "${dir}/meta"
[data]
  dir = "${dir}/data"
  wal-dir = "${dir}/wal"
  query-log-enabled = false
  max-series-per-database = ${limits.maxSeriesPerDatabase ?? 1_000_000}
  max-values-per-tag = ${limits.maxValuesPerTag ?? 100_000}
[monitor]
  store-enabled = false
[http]
  bind-address = "127.0.0.1:${httpPort}"
  log-enabled = false
  auth-enabled = ${options.auth === true}
[continuous_queries]
  enabled = false
[subscriber]
  enabled = false
[retention]
  enabled = false
`,
    );
  writeConfig(options.limits ?? {});
  let server: RunningProcess | undefined;
  const startServer = async () => {
    server = startProcess("influxd", "influxd", ["run", "-config", config]);
    for (let i = 0; ; i++) {
      try {
        if ((await fetch(`http://127.0.0.1:${httpPort}/ping`)).status === 204) return;
      } catch {}
      if (i > 200) {
        const output = server.output.slice(-20).join("\n");
        // Not left running: it would hold its port past the failed start.
        await server.stop();
        throw new Error(`influxd did not answer /ping:\n${output}`);
      }
      await sleep(50);
    }
  };
  await startServer();
  const admin = options.auth ? await createFirstAdmin(httpPort) : undefined;
  const front = await startInfluxV2Front(httpPort, options.port);

  return {
    url: front.url,
    ...(admin ? { admin } : {}),
    setLimits: writeConfig,
    async stopServer() {
      await server?.stop();
    },
    startServer,
    serverPid: () => server?.process.pid,
    async stop() {
      await front.close();
      await server?.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function createFirstAdmin(httpPort: number): Promise<InfluxAdmin> {
  // packages/testing sits below packages/influx and its quoting: the name is fixed and
  // the password base64url ([A-Za-z0-9_-]), so neither needs escaping.
  const admin = { username: "admin", password: randomBytes(18).toString("base64url") };
  const q = `CREATE USER "${admin.username}" WITH PASSWORD '${admin.password}' WITH ALL PRIVILEGES`;
  const answer = await fetch(`http://127.0.0.1:${httpPort}/query`, {
    method: "POST",
    body: new URLSearchParams({ q }),
  });
  const text = await answer.text();
  if (!answer.ok || text.includes('"error"')) throw new Error(`creating the first InfluxDB admin failed: ${text}`);
  return admin;
}
