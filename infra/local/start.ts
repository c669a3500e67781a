/**
 * `pnpm start`: Mosquitto, the Kafka-protocol broker and InfluxDB on this
 * machine, every worker as its own process, and the simulator publishing city
 * traffic. Prints where to look; Ctrl-C stops everything in order.
 *
 * With CI=true (or STADTFLUSS_RUN_SECONDS) it is a smoke run: it waits until
 * points arrive in InfluxDB, prints the figures and stops, failing if none came.
 */
import { execFileSync } from "node:child_process";
import { createWriteStream, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { influxQL } from "@stadtfluss/influx";
import { mqttSubscriptions } from "@stadtfluss/simulator/device-catalogue";
import { freePort, type RunningProcess, repositoryRoot, startLocalServers, startProcess } from "@stadtfluss/testing";

const root = repositoryRoot();
const logDir = join(root, ".cache", "logs");
mkdirSync(logDir, { recursive: true });
const runSeconds = Number(process.env.STADTFLUSS_RUN_SECONDS ?? (process.env.CI ? 60 : 0));
const database = "stadtfluss";

const preferred = async (port: number) => ((await isFree(port)) ? port : freePort());
const servers = await startLocalServers({ mqttPort: await preferred(1883), influxPort: await preferred(8086) });
await fetch(`${servers.influx.url}/query`, {
  method: "POST",
  body: new URLSearchParams({ q: `CREATE DATABASE ${database}` }),
});

// A device registry for the simulated fleet, so that observations carry
// districts and locations and unknown devices are refused as in production.
const registry = join(root, ".cache", "registry.yaml");
const simulator = { MQTT_URL: servers.mosquitto.url, SIM_RATE: process.env.SIM_RATE ?? "50" };
writeFileSync(
  registry,
  execFileSync(process.execPath, [join(root, "services/simulator/src/registry-file.ts")], {
    env: { ...process.env, ...simulator },
  }),
);

const kafka = { KAFKA_BROKERS: servers.kafka.brokers.join(",") };
const workers: Record<string, Record<string, string>> = {
  "mqtt-bridge": {
    ...kafka,
    MQTT_SOURCES: JSON.stringify([
      {
        id: "city-mosquitto",
        url: servers.mosquitto.url,
        brokerStats: true,
        // MQTT 5 lets the bridge set its own receive window (3.1.1: Mosquitto's 20).
        protocolVersion: 5,
        subscriptions: mqttSubscriptions({ tenant: "musterstadt", topicPrefix: "stadtfluss" }),
      },
    ]),
  },
  normalizer: { ...kafka, NORMALIZER_REGISTRY: registry },
  "influx-writer": { ...kafka, INFLUX_URL: servers.influx.url, INFLUX_BUCKET: database },
  simulator,
};

const running: RunningProcess[] = [];
const opsPorts: Record<string, number> = {};
for (const [name, env] of Object.entries(workers)) {
  opsPorts[name] = await freePort();
  const child = startProcess(name, process.execPath, [join(root, "services", name, "src/main.ts")], {
    env: { ...process.env, ...env, OPS_HOST: "127.0.0.1", OPS_PORT: String(opsPorts[name]) },
  });
  const log = createWriteStream(join(logDir, `${name}.log`));
  child.process.stdout?.pipe(log);
  child.process.stderr?.pipe(log);
  running.push(child);
  void child.exited.then(({ code, signal }) => {
    if (!stopping) {
      console.error(`${name} exited (${code ?? signal}); its log: ${join(logDir, `${name}.log`)}`);
      void stop(1);
    }
  });
}

const example = `SELECT mean("vehicle_count") FROM "traffic" WHERE time > now() - 15m GROUP BY time(1m), "device"`;
console.log(`
Stadtfluss is running.
  MQTT (Mosquitto)   ${servers.mosquitto.url}   (every payload format; see the README)
  Kafka brokers      ${servers.kafka.brokers.join(",")}
  InfluxDB           ${servers.influx.url}   database "${database}"
  Device registry    ${registry}
  Worker logs        ${logDir}/
  Worker metrics     ${Object.entries(opsPorts)
    .map(([name, port]) => `${name} http://127.0.0.1:${port}/metrics`)
    .join("\n                     ")}

Try a query:
  curl -sG ${servers.influx.url}/query --data-urlencode db=${database} --data-urlencode 'q=${example}'
Publish your own reading:
  mosquitto_pub -p ${servers.mosquitto.port} -q 1 -t stadtfluss/musterstadt/my-sensor/up -m '{"time":"${new Date().toISOString()}","readings":[{"kind":"air.pm10","value":12.5,"unit":"ug/m3"}]}'
${runSeconds > 0 ? `\nSmoke run: stopping after ${runSeconds} s.` : "Press Ctrl-C to stop."}
`);

let stopping = false;
async function stop(code: number): Promise<never> {
  stopping = true;
  clearInterval(report);
  await Promise.all(running.map((child) => child.stop()));
  await servers.stop();
  process.exit(code);
}
process.on("SIGINT", () => void stop(0));
process.on("SIGTERM", () => void stop(0));

/** Points per measurement: `count(*)` counts each field, so the largest field count is the point count. */
async function pointsSince(window: string): Promise<Record<string, number>> {
  const measurements = ["traffic", "energy", "gas", "air", "parking", "water", "device", "radio"];
  const [series = []] = await influxQL(
    { url: servers.influx.url, database },
    `SELECT count(*) FROM ${measurements.map((m) => `"${m}"`).join(",")} WHERE time > now() - ${window}`,
  );
  return Object.fromEntries(
    series.map((s) => [s.name, Math.max(...(s.values[0] ?? []).slice(1).map((v) => Number(v) || 0))]),
  );
}
const total = (points: Record<string, number>) => Object.values(points).reduce((a, b) => a + b, 0);

const started = Date.now();
const report = setInterval(async () => {
  const lastMinute = await pointsSince("1m").catch(() => ({}));
  const parts = Object.entries(lastMinute).map(([m, n]) => `${m} ${n}`);
  console.log(
    `${new Date().toISOString()}  points stored in the last minute: ${total(lastMinute)} (${parts.join(", ")})`,
  );
}, 10_000);

if (runSeconds > 0) {
  await sleep(runSeconds * 1000);
  const stored = total(await pointsSince("1h"));
  const elapsed = Math.round((Date.now() - started) / 1000);
  console.log(`Smoke run: ${stored} points stored in InfluxDB in ${elapsed} s.`);
  await stop(stored > 0 ? 0 : 1);
}

function isFree(port: number): Promise<boolean> {
  return import("node:net").then(
    ({ createServer }) =>
      new Promise((resolve) => {
        const server = createServer();
        server.once("error", () => resolve(false));
        server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
      }),
  );
}
