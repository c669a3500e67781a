import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, type RunningProcess, startProcess } from "@stadtfluss/testing";
import { nodeRedFunction, type PayloadName } from "./payloads.ts";

/** The peer, pinned: the versions the published comparison figures were taken with. */
const PACKAGES = ["node-red@5.0.7", "node-red-contrib-influxdb@0.7.0"];

/** Installs Node-RED into a cache folder once; it is too heavy to be a workspace dependency. */
export function installNodeRed(): string {
  const prefix = join(process.env.STADTFLUSS_CACHE_DIR ?? join(homedir(), ".cache/stadtfluss"), "node-red");
  const marker = join(prefix, "node_modules/node-red-contrib-influxdb/package.json");
  if (!existsSync(join(prefix, "node_modules/node-red/red.js")) || !existsSync(marker)) {
    process.stderr.write(`installing ${PACKAGES.join(" ")} into ${prefix}\n`);
    execFileSync("npm", ["install", "--prefix", prefix, "--no-audit", "--no-fund", ...PACKAGES], {
      stdio: ["ignore", "inherit", "inherit"],
    });
  }
  return prefix;
}

export interface NodeRedFlow {
  readonly mqtt: { readonly host: string; readonly port: number; readonly topic: string; readonly clientId: string };
  readonly influx: { readonly host: string; readonly port: number; readonly database: string };
  /** Messages per InfluxDB write; a partial batch goes after `joinTimeoutSeconds`. */
  readonly joinCount: number;
  readonly joinTimeoutSeconds: number;
  readonly payload: PayloadName;
}

/**
 * mqtt in → json → function → join → influxdb batch, the usual Node-RED way to
 * get MQTT readings into InfluxDB 1.x. The function writes the same point as
 * Stadtfluss: measurement `traffic`, tags tenant and device, fields
 * vehicle_count and seq, time = the payload's time (payloads.ts).
 */
export function benchFlow(flow: NodeRedFlow): unknown[] {
  const toPoint = nodeRedFunction(flow.payload);
  return [
    { id: "bench-tab", type: "tab", label: "bench" },
    {
      id: "bench-broker",
      type: "mqtt-broker",
      name: "mosquitto",
      broker: flow.mqtt.host,
      port: String(flow.mqtt.port),
      clientid: flow.mqtt.clientId,
      autoConnect: true,
      usetls: false,
      protocolVersion: "4",
      keepalive: "60",
      cleansession: true,
    },
    {
      id: "bench-in",
      type: "mqtt in",
      z: "bench-tab",
      topic: flow.mqtt.topic,
      qos: "1",
      datatype: "utf8",
      broker: "bench-broker",
      nl: false,
      rap: false,
      inputs: 0,
      wires: [["bench-json"]],
    },
    { id: "bench-json", type: "json", z: "bench-tab", property: "payload", action: "obj", wires: [["bench-fn"]] },
    { id: "bench-fn", type: "function", z: "bench-tab", func: toPoint, outputs: 1, wires: [["bench-join"]] },
    {
      id: "bench-join",
      type: "join",
      z: "bench-tab",
      mode: "custom",
      build: "array",
      property: "payload",
      propertyType: "msg",
      count: String(flow.joinCount),
      timeout: String(flow.joinTimeoutSeconds),
      accumulate: false,
      wires: [["bench-influx"]],
    },
    {
      id: "bench-influx-config",
      type: "influxdb",
      hostname: flow.influx.host,
      port: String(flow.influx.port),
      protocol: "http",
      database: flow.influx.database,
      influxdbVersion: "1.x",
      usetls: false,
    },
    {
      id: "bench-influx",
      type: "influxdb batch",
      z: "bench-tab",
      influxdb: "bench-influx-config",
      precision: "ms",
      retentionPolicy: "",
      wires: [],
    },
  ];
}

export interface NodeRed {
  readonly process: RunningProcess;
  deploy(flow: NodeRedFlow): Promise<void>;
  stop(): Promise<void>;
}

/** Node-RED with its own settings and user folder on a free port. */
export async function startNodeRed(options: { prefix: string; cpuProfileDir?: string }): Promise<NodeRed> {
  const dir = mkdtempSync(join(tmpdir(), "sf-node-red-"));
  const port = await freePort();
  const settings = join(dir, "settings.js");
  writeFileSync(
    settings,
    `module.exports = {
  uiHost: "127.0.0.1",
  uiPort: ${port},
  flowFile: "flows.json",
  credentialSecret: false,
  logging: { console: { level: "info", metrics: false, audit: false } },
  editorTheme: { projects: { enabled: false } },
  telemetry: { enabled: false },
  diagnostics: { enabled: false },
  externalModules: { autoInstall: false },
};
`,
  );
  const profile = options.cpuProfileDir ? ["--cpu-prof", `--cpu-prof-dir=${options.cpuProfileDir}`] : [];
  const running = startProcess(
    "node-red",
    process.execPath,
    [...profile, join(options.prefix, "node_modules/node-red/red.js"), "--settings", settings, "--userDir", dir],
    { env: { PATH: process.env.PATH ?? "", HOME: dir, NODE_NO_WARNINGS: "1" } },
  );
  await running.waitForLine(/Server now running at/, 60_000);
  const admin = `http://127.0.0.1:${port}`;
  return {
    process: running,
    async deploy(flow) {
      const response = await fetch(`${admin}/flows`, {
        method: "POST",
        headers: { "content-type": "application/json", "Node-RED-Deployment-Type": "full" },
        body: JSON.stringify(benchFlow(flow)),
      });
      if (!response.ok) throw new Error(`Node-RED refused the flow: ${response.status} ${await response.text()}`);
      await running.waitForLine(/Connected to broker/, 30_000);
      const missing = running.output.find((line) => /Missing node types|Waiting for missing types/.test(line));
      if (missing) throw new Error(`Node-RED is missing node types: ${missing}`);
    },
    async stop() {
      await running.stop(5_000);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
