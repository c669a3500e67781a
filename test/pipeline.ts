import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { createDatabase, influxQL, seriesRows } from "@stadtfluss/influx";
import { databaseName } from "@stadtfluss/registry";
import {
  bridgeEnvironment,
  type Load,
  type LocalServerAddresses,
  publishNumbered,
  repositoryRoot,
  startWorker,
  uniqueName,
  type WorkerProcess,
} from "@stadtfluss/testing";

type Stage = "bridge" | "normalizer" | "writer";
const SERVICE: Record<Stage, string> = { bridge: "mqtt-bridge", normalizer: "normalizer", writer: "influx-writer" };

/**
 * The bridge, normalizer and writer as separate processes, isolated by unique
 * names, in the layout of a city: the writer routes by a declaration of the
 * pipeline's own tenant (and `otherTenant`) to a database per tenant and class.
 */
export interface Pipeline {
  readonly topicPrefix: string;
  readonly mqttPrefix: string;
  /** The tenant's raw databases, `<tenant>_public` and `<tenant>_personal`. */
  readonly databases: readonly string[];
  readonly tenant: string;
  /** A second declared tenant, with databases of its own. */
  readonly otherTenant: string;
  /** The registry folder the writer reads as WRITER_DECLARATION. */
  readonly declaration: string;
  readonly env: Record<Stage, Record<string, string>>;
  readonly workers: Record<Stage, WorkerProcess>;
  /** Starts a stage again with the same settings (same consumer group, same MQTT client id). */
  restart(stage: Stage): Promise<WorkerProcess>;
  /** Publishes `count` numbered messages at `rate` per second; resolves when the broker acknowledged all. */
  publish(options: { count: number; rate: number; devices?: number }): Load;
  /** The rows of `q` in each of the tenant's raw databases (public first), or in `databases`. */
  query(q: string, databases?: readonly string[]): Promise<Array<Record<string, unknown>>>;
  /** Polls until the column `n` of `q`, summed over its rows, reaches `expected` or the time is up. */
  waitForCount(q: string, expected: number, timeoutMs?: number): Promise<number>;
  /** Waits until `messages` distinct messages are stored, then runs the audit command over them. */
  audit(messages: number, timeoutMs?: number): Promise<AuditReport>;
  stop(): Promise<void>;
}

export interface AuditReport {
  readonly missing: number;
  readonly devices: ReadonlyArray<{ device: string; messages: number; missing: number; duplicates: number[] }>;
}

export interface PipelineOptions {
  /** The MQTT version the bridge speaks to Mosquitto: 4 (3.1.1, the default) or 5. */
  readonly bridgeProtocol?: 4 | 5;
  /** The tenant, for a registry written before the pipeline starts (a unique name by default). */
  readonly tenant?: string;
  /** Bridge subscriptions besides the pipeline's own stadtfluss-json topic, e.g. another payload format's. */
  readonly subscriptions?: ReadonlyArray<{ readonly topic: string; readonly format: string; readonly tenant?: string }>;
}

export async function startPipeline(
  servers: LocalServerAddresses,
  extraEnv: Partial<Record<Stage, Record<string, string>>> = {},
  options: PipelineOptions = {},
): Promise<Pipeline> {
  const id = uniqueName("e2e");
  const topicPrefix = `${id}.`;
  const mqttPrefix = id;
  // Unique names are valid tenant ids, so every pipeline has databases of its own.
  const tenant = options.tenant ?? id;
  const otherTenant = `${tenant}-other`;
  const databases = (["public", "personal"] as const).map((c) => databaseName(tenant, c));
  const startedAt = Date.now();
  const declaration = mkdtempSync(join(tmpdir(), "sf-e2e-declaration-"));
  writeFileSync(
    join(declaration, "platform.yaml"),
    `tenants:\n  - { id: ${tenant}, name: Musterstadt, kind: municipality }\n  - { id: ${otherTenant}, name: Nachbarstadt, kind: municipality }\n`,
  );
  for (const t of [tenant, otherTenant])
    for (const c of ["public", "personal", "open"] as const)
      await createDatabase({ url: servers.influxUrl, database: databaseName(t, c) });

  const kafka = { KAFKA_BROKERS: servers.kafkaBrokers.join(","), KAFKA_TOPIC_PREFIX: topicPrefix };
  const env: Record<Stage, Record<string, string>> = {
    bridge: {
      ...bridgeEnvironment({
        id,
        kafkaBrokers: servers.kafkaBrokers,
        mqttUrl: servers.mqttUrl,
        source: { protocolVersion: options.bridgeProtocol ?? 4 },
        ...(options.subscriptions
          ? {
              subscriptions: [
                { topic: `${id}/{tenant}/{device}/up`, format: "stadtfluss-json" },
                ...options.subscriptions,
              ],
            }
          : {}),
      }),
      ...extraEnv.bridge,
    },
    normalizer: { ...kafka, KAFKA_GROUP_ID: `${id}-normalizer`, ...extraEnv.normalizer },
    writer: {
      ...kafka,
      KAFKA_GROUP_ID: `${id}-writer`,
      INFLUX_URL: servers.influxUrl,
      WRITER_DECLARATION: declaration,
      ...extraEnv.writer,
    },
  };
  const workers = Object.fromEntries(
    await Promise.all(
      (Object.keys(SERVICE) as Stage[]).map(async (stage) => [stage, await startWorker(SERVICE[stage], env[stage])]),
    ),
  ) as Record<Stage, WorkerProcess>;

  const query = async (q: string, from: readonly string[] = databases) => {
    const rows: Array<Record<string, unknown>> = [];
    for (const database of from) {
      const [series = []] = await influxQL({ url: servers.influxUrl, database }, q);
      rows.push(...seriesRows(series));
    }
    return rows;
  };
  const waitForCount = async (q: string, expected: number, timeoutMs = 60_000) => {
    const deadline = Date.now() + timeoutMs;
    let count = 0;
    while (Date.now() < deadline) {
      count = (await query(q)).reduce((sum, row) => sum + Number(row.n ?? 0), 0);
      if (count >= expected) return count;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    return count;
  };

  return {
    topicPrefix,
    mqttPrefix,
    databases,
    tenant,
    otherTenant,
    declaration,
    env,
    workers,
    async restart(stage) {
      workers[stage] = await startWorker(SERVICE[stage], env[stage]);
      return workers[stage];
    },
    publish({ count, rate, devices = 10 }) {
      return publishNumbered({ url: servers.mqttUrl, topicPrefix: mqttPrefix, tenant, devices, count, rate });
    },
    query,
    waitForCount,
    async audit(messages, timeoutMs = 120_000) {
      const stored = await waitForCount('SELECT count("seq") AS n FROM "traffic"', messages, timeoutMs);
      if (stored < messages) {
        // Say which worker gave up, if one did: the audit below would only count.
        const exited = Object.entries(workers)
          .filter(([, w]) => w.process.exitCode !== null || w.process.signalCode !== null)
          .map(
            ([stage, w]) =>
              `${stage} exited (${w.process.exitCode ?? w.process.signalCode}): ${w.output.slice(-5).join(" | ")}`,
          );
        if (exited.length > 0) throw new Error(`${stored} of ${messages} stored; ${exited.join("; ")}`);
        // Where the shortfall is (first or last messages of which devices) and what each stage said last.
        const perDevice = await query(
          'SELECT count("seq") AS n, min("seq") AS first, max("seq") AS last FROM "traffic" GROUP BY "device"',
        ).catch(() => []);
        const said = Object.entries(workers).map(([stage, w]) => `--- ${stage}\n${w.output.slice(-15).join("\n")}`);
        console.error(
          `${stored} of ${messages} stored after ${timeoutMs} ms\n${JSON.stringify(perDevice)}\n${said.join("\n")}`,
        );
      }
      const { stdout } = await promisify(execFile)(
        process.execPath,
        [
          join(repositoryRoot(), "services/audit/src/main.ts"),
          // The pipeline's own lifetime, with room for the time policy's allowance on either side.
          "--from",
          new Date(startedAt - 3_600_000).toISOString(),
          "--to",
          new Date(Date.now() + 3_600_000).toISOString(),
          "--declaration",
          declaration,
          "--tenant",
          tenant,
          "--json",
        ],
        { env: { PATH: process.env.PATH ?? "", INFLUX_URL: servers.influxUrl } },
      ).catch((error: { stdout?: string }) => ({ stdout: error.stdout ?? "{}" }));
      const report = JSON.parse(stdout) as { missing: number; devices: AuditReport["devices"] };
      return { missing: report.missing, devices: report.devices };
    },
    async stop() {
      await Promise.all(Object.values(workers).map((w) => w.stop()));
      rmSync(declaration, { recursive: true, force: true });
    },
  };
}
