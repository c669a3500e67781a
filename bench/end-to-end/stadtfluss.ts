import { join } from "node:path";
import { freePort, metricSum, repositoryRoot, startProcess, type WorkerProcess } from "@stadtfluss/testing";

type Stage = "bridge" | "normalizer" | "writer";
const SERVICE: Record<Stage, string> = { bridge: "mqtt-bridge", normalizer: "normalizer", writer: "influx-writer" };

export interface StadtflussPipeline {
  readonly workers: Record<Stage, WorkerProcess>;
  /** The worker's /metrics, asked afresh ("" when it does not answer). */
  scrape(stage: Stage): Promise<string>;
  /** Sum of a metric over all its series in each worker's /metrics. */
  metric(stage: Stage, name: string): Promise<number>;
  stop(): Promise<void>;
}

/**
 * The three workers as separate processes with their default settings, as in
 * production: mqtt-bridge (with Mosquitto's drop counter), normalizer, influx-writer.
 */
export async function startStadtfluss(options: {
  mqttUrl: string;
  kafkaBrokers: readonly string[];
  influxUrl: string;
  database: string;
  id: string;
  mqttTopic: string;
  protocolVersion: 4 | 5;
  /** The format of the subscription; stadtfluss-json unless set. */
  format?: string;
  /** NORMALIZER_REGISTRY, for a format read through device types. */
  registryFile?: string;
  cpuProfileDir?: string;
  /** Another checkout of the repository to run the workers from (a baseline to compare with). */
  root?: string;
  extraEnv?: Partial<Record<Stage, Record<string, string>>>;
}): Promise<StadtflussPipeline> {
  const kafka = {
    KAFKA_BROKERS: options.kafkaBrokers.join(","),
    KAFKA_TOPIC_PREFIX: `${options.id}.`,
    LOG_LEVEL: "warn",
  };
  const profile: Record<string, string> = options.cpuProfileDir
    ? { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${options.cpuProfileDir}` }
    : {};
  const env: Record<Stage, Record<string, string>> = {
    bridge: {
      ...kafka,
      ...profile,
      MQTT_SOURCES: JSON.stringify([
        {
          id: "city",
          url: options.mqttUrl,
          clientId: `${options.id}-bridge`,
          brokerStats: true,
          protocolVersion: options.protocolVersion,
          subscriptions: [{ topic: options.mqttTopic, format: options.format ?? "stadtfluss-json" }],
        },
      ]),
      ...options.extraEnv?.bridge,
    },
    normalizer: {
      ...kafka,
      ...profile,
      KAFKA_GROUP_ID: `${options.id}-normalizer`,
      ...(options.registryFile ? { NORMALIZER_REGISTRY: options.registryFile } : {}),
      ...options.extraEnv?.normalizer,
    },
    writer: {
      ...kafka,
      ...profile,
      KAFKA_GROUP_ID: `${options.id}-writer`,
      INFLUX_URL: options.influxUrl,
      INFLUX_BUCKET: options.database,
      ...options.extraEnv?.writer,
    },
  };
  // "started" is logged at info; wait for readiness instead, with warn-level logs.
  const workers = Object.fromEntries(
    await Promise.all(
      (Object.keys(SERVICE) as Stage[]).map(
        async (stage) =>
          [stage, await startWorker(options.root ?? repositoryRoot(), SERVICE[stage], env[stage])] as const,
      ),
    ),
  ) as Record<Stage, WorkerProcess>;
  await Promise.all(Object.values(workers).map((worker) => waitUntilReady(worker)));

  const scrape = (stage: Stage) =>
    fetch(`${workers[stage].opsUrl}/metrics`).then(
      (r) => r.text(),
      () => "",
    );
  return {
    workers,
    scrape,
    async metric(stage, name) {
      return metricSum(await scrape(stage), name);
    },
    async stop() {
      await Promise.all(Object.values(workers).map((worker) => worker.stop(20_000)));
    },
  };
}

/** As @stadtfluss/testing's startWorker, but from any checkout. */
async function startWorker(root: string, service: string, env: Record<string, string>): Promise<WorkerProcess> {
  const opsPort = await freePort();
  const running = startProcess(service, process.execPath, [join(root, "services", service, "src/main.ts")], {
    env: {
      PATH: process.env.PATH ?? "",
      OPS_HOST: "127.0.0.1",
      OPS_PORT: String(opsPort),
      NODE_NO_WARNINGS: "1",
      ...env,
    },
    echo: process.env.STADTFLUSS_ECHO_WORKERS === "1",
  });
  return { ...running, opsUrl: `http://127.0.0.1:${opsPort}` };
}

async function waitUntilReady(worker: WorkerProcess, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const status = await fetch(`${worker.opsUrl}/readyz`).then(
      (r) => r.status,
      () => 0,
    );
    if (status === 200) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${worker.name} not ready within ${timeoutMs} ms:\n${worker.output.slice(-20).join("\n")}`);
}
