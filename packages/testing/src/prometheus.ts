import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { type RunningProcess, startProcess } from "./child-process.ts";
import { freePort } from "./free-port.ts";

/** What tests receive: where Prometheus answers, and the folder of its scrape targets. */
export interface PrometheusAddress {
  readonly url: string;
  /** Every `*.json` here is a file_sd target list of the job `stadtfluss`, read within a second. */
  readonly targetsDir: string;
}

export interface PrometheusServer extends PrometheusAddress {
  stop(): Promise<void>;
}

/** Why Prometheus cannot run here, or undefined where its binary is installed. */
export function prometheusMissing(): string | undefined {
  const probe = spawnSync("prometheus", ["--version"], { stdio: "ignore" });
  if (!probe.error) return undefined;
  return `Prometheus is not installed (${(probe.error as NodeJS.ErrnoException).code ?? probe.error.message}): run infra/setup.sh, which installs Debian's prometheus package`;
}

/**
 * Debian's Prometheus on a free loopback port with a generated config: one job
 * that scrapes every second whatever the target files in `targetsDir` list, so
 * that each test adds its own workers (scrapeTargets) without a reload.
 */
export async function startPrometheus(): Promise<PrometheusServer> {
  const missing = prometheusMissing();
  if (missing) throw new Error(missing);
  const dir = mkdtempSync(join(tmpdir(), "sf-prometheus-"));
  const targetsDir = join(dir, "targets");
  mkdirSync(targetsDir);
  const port = await freePort();
  const config = join(dir, "prometheus.yml");
  writeFileSync(
    config,
    `global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: stadtfluss
    file_sd_configs:
      - files: ["${targetsDir}/*.json"]
        refresh_interval: 1s
`,
  );
  const server: RunningProcess = startProcess("prometheus", "prometheus", [
    `--config.file=${config}`,
    `--storage.tsdb.path=${join(dir, "data")}`,
    `--web.listen-address=127.0.0.1:${port}`,
    "--web.enable-lifecycle",
    "--log.level=warn",
  ]);
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`${url}/-/ready`)).status === 200) break;
    } catch {}
    if (server.process.exitCode !== null || i > 300)
      throw new Error(`prometheus did not become ready:\n${server.output.slice(-20).join("\n")}`);
    await sleep(50);
  }
  return {
    url,
    targetsDir,
    async stop() {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Has Prometheus scrape `targets` (host:port of a worker's ops server) under the
 * job label `job`, which keeps a test's series apart from every other's.
 * Returns the removal of the target file.
 */
export function scrapeTargets(prometheus: PrometheusAddress, job: string, targets: readonly string[]): () => void {
  const file = join(prometheus.targetsDir, `${job}.json`);
  // Written beside and renamed, so that Prometheus never reads half a file.
  const partial = join(prometheus.targetsDir, `.${job}.partial`);
  writeFileSync(partial, JSON.stringify([{ targets, labels: { job } }]));
  renameSync(partial, file);
  return () => rmSync(file, { force: true });
}

/** One series of an instant query's answer. */
export interface PromSample {
  readonly metric: Readonly<Record<string, string>>;
  readonly value: number;
}

/** The vector an instant PromQL query answers now; an error answer or a non-vector throws. */
export async function promQuery(prometheus: { readonly url: string }, query: string): Promise<PromSample[]> {
  const response = await fetch(`${prometheus.url}/api/v1/query`, {
    method: "POST",
    body: new URLSearchParams({ query }),
  });
  const answer = (await response.json()) as {
    status: string;
    error?: string;
    data?: { resultType: string; result: Array<{ metric: Record<string, string>; value: [number, string] }> };
  };
  if (answer.status !== "success" || !answer.data)
    throw new Error(`PromQL ${query} failed: ${answer.error ?? response.status}`);
  if (answer.data.resultType !== "vector")
    throw new Error(`PromQL ${query} answered a ${answer.data.resultType}, not a vector`);
  return answer.data.result.map((r) => ({ metric: r.metric, value: Number(r.value[1]) }));
}

/** The Prometheus the global set-up started; fails, naming infra/setup.sh, where it could not. */
export function requirePrometheus(provided: PrometheusAddress | { readonly missing: string }): PrometheusAddress {
  if ("missing" in provided) throw new Error(provided.missing);
  return provided;
}
