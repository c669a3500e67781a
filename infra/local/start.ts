/**
 * `pnpm start`: Mosquitto, the Kafka-protocol broker and InfluxDB on this
 * machine, every worker as its own process, and the simulator publishing city
 * traffic. Prints where to look; Ctrl-C stops everything in order.
 *
 * With CI=true (or STADTFLUSS_RUN_SECONDS) it is a smoke run: it waits until
 * points arrive in InfluxDB, prints the figures and stops, failing if none came.
 */
import { execFile, execFileSync } from "node:child_process";
import { createWriteStream, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import type { Readable } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import { promisify } from "node:util";
import {
  createDatabase,
  type InfluxReadSettings,
  influxQL,
  measurements,
  quoteIdentifier,
  quoteString,
} from "@stadtfluss/influx";
import {
  bridgeSubscribeFilters,
  tenantPublishFilters,
  tenantTree,
  writeMosquittoFiles,
} from "@stadtfluss/mosquitto-config";
import { databaseName, desiredStorage, loadRegistry, parseDatabaseName } from "@stadtfluss/registry";
import { loadFleetConfig } from "@stadtfluss/simulator/config";
import { mqttSubscriptions, simulatedDevices } from "@stadtfluss/simulator/device-catalogue";
import { freePort, type RunningProcess, repositoryRoot, startLocalServers, startProcess } from "@stadtfluss/testing";
import { parseDocument } from "yaml";

const root = repositoryRoot();
const logDir = join(root, ".cache", "logs");
mkdirSync(logDir, { recursive: true });
const runSeconds = Number(process.env.STADTFLUSS_RUN_SECONDS ?? (process.env.CI ? 60 : 0));
const tenant = "musterstadt";
/** The household meters belong to the utility that operates them, as in infra/registry-example. */
const utility = "stadtwerke-musterstadt";
const meteringReader = `${utility}-metering`;
const plannersReader = `${tenant}-planners`;
/** Where the simulated traffic and the reading published by hand are stored. */
const database = databaseName(tenant, "public");

// Two simulated fleets: the town's traffic, air, parking, water and weather, and
// the utility's household meters, each publishing as its own tenant.
const METER_FAMILIES = ["SIM_HOUSEHOLD_METERS", "SIM_DSMR_METERS", "SIM_TASMOTA_METERS"];
const TOWN_FAMILIES = [
  "SIM_TRAFFIC_COUNTERS",
  "SIM_AIR_SENSORS",
  "SIM_PARKING_SENSORS",
  "SIM_ENVIRONMENT_SENSORS",
  "SIM_WATER_GAUGES",
  "SIM_WEATHER_STATIONS",
];
const none = (families: string[]) => Object.fromEntries(families.map((family) => [family, "0"]));
const fleets = { simulator: tenant, "simulator-meters": utility } as const;
type Fleet = keyof typeof fleets;
const fleetEnv: Record<Fleet, Record<string, string>> = {
  simulator: { SIM_TENANT: tenant, ...none(METER_FAMILIES) },
  "simulator-meters": { SIM_TENANT: utility, ...none(TOWN_FAMILIES) },
};
const meterFormats = new Set(["dsmr-p1", "tasmota-sml"]);
const subscriptions = [
  ...mqttSubscriptions({ tenant, topicPrefix: "stadtfluss" }).filter((s) => !meterFormats.has(s.format)),
  ...mqttSubscriptions({ tenant: utility, topicPrefix: "stadtfluss" }).filter((s) => meterFormats.has(s.format)),
];

// Mosquitto with passwords and ACLs as in production: each fleet (and you)
// publishes as its tenant's account, only where its devices do; the bridge reads.
// Passwords are made once in .cache/mosquitto/secrets/ and never printed.
const bridgeUser = "stadtfluss-bridge";
const mqttFiles = writeMosquittoFiles(
  {
    accounts: Object.entries(fleets).map(([simulator, owner]) => {
      const filters = tenantPublishFilters(
        simulatedDevices(loadFleetConfig({ ...process.env, ...fleetEnv[simulator as Fleet] })),
      );
      return {
        username: owner,
        tenant: owner,
        publish: [...new Set([tenantTree(owner), ...(filters.get(owner) ?? [])])],
      };
    }),
    bridge: { username: bridgeUser, subscribe: bridgeSubscribeFilters(subscriptions) },
  },
  { dir: join(root, ".cache", "mosquitto") },
);
const mqttPasswordFile = (user: string) => mqttFiles.secretFiles[user] ?? "";

const preferred = async (port: number) => ((await isFree(port)) ? port : freePort());
const servers = await startLocalServers({
  mqttPort: await preferred(1883),
  influxPort: await preferred(8086),
  mqttAuth: { passwordFile: mqttFiles.passwordFile, aclFile: mqttFiles.aclFile },
});
const influx = { url: servers.influx.url, database };

// A device registry for the simulated fleet, so that observations carry
// districts and locations and unknown devices are refused as in production.
// A folder: the simulated fleet in one file, the device a newcomer publishes as in another.
const registry = join(root, ".cache", "registry");
rmSync(registry, { recursive: true, force: true });
mkdirSync(registry, { recursive: true });
const simulatorEnv = (name: Fleet): Record<string, string> => ({
  ...fleetEnv[name],
  MQTT_URL: servers.mosquitto.url,
  MQTT_USERNAME: fleets[name],
  MQTT_PASSWORD_FILE: mqttPasswordFile(fleets[name]),
  SIM_RATE: process.env.SIM_RATE ?? (name === "simulator" ? "40" : "10"),
});
const simulators = { simulator: simulatorEnv("simulator"), "simulator-meters": simulatorEnv("simulator-meters") };
for (const [name, owner] of Object.entries(fleets)) {
  const fleet = parseDocument(
    execFileSync(process.execPath, [join(root, "services/simulator/src/registry-file.ts")], {
      env: { ...process.env, ...simulators[name as Fleet] },
      encoding: "utf8",
    }),
  );
  // The simulator declares its tenant a municipality; the meters' owner is a utility.
  if (owner === utility) fleet.setIn(["tenants", 0, "kind"], "utility");
  writeFileSync(
    join(registry, `${name === "simulator" ? "simulated-fleet" : "simulated-meters"}.yaml`),
    fleet.toString(),
  );
}
writeFileSync(
  join(registry, "readers.yaml"),
  `# Who may read what (docs/tenants.md): the utility's metering office reads its household meters,
# through the meter-data API's token; the town's planners read its traffic in Grafana;
# the open-data API reads every tenant's open databases and nothing else.
readers:
  - name: ${meteringReader}
    read: { ${utility}: [personal, open] }
  - name: ${plannersReader}
    read: { ${tenant}: [public, open] }
  - name: open-data
    read: { "*": [open] }
`,
);
// Grafana under the town's control (docs/grafana.md): an organisation per tenant.
writeFileSync(
  join(registry, "grafana.yaml"),
  `# What \`pnpm grafana plan|apply\` makes of a Grafana: one organisation per tenant.
grafana:
  influxUrl: ${servers.influx.url}
  tenants:
    ${tenant}:
      reader: ${plannersReader}
      departments:
        - { uid: verkehrsplanung, title: Verkehrsplanung, dashboards: [traffic, parking, devices] }
        - { uid: umwelt, title: Umwelt, dashboards: [air-quality] }
    ${utility}:
      reader: ${meteringReader}
      departments:
        - { uid: energie, title: Energie, dashboards: [energy] }
`,
);
const ownDevice = "my-sensor";
writeFileSync(
  join(registry, "your-devices.yaml"),
  `# The device that \`pnpm start\` invites you to publish as. Add your own devices here.
# The tenant ${tenant} is declared in simulated-fleet.yaml.
devices:
  - { id: ${ownDevice}, tenant: ${tenant}, district: Mitte, privacy: public, description: "a reading published by hand" }
`,
);

// Every declared tenant's databases with their retention, as `pnpm platform apply`
// creates them; without its users and grants, since this InfluxDB runs without auth.
const storage = desiredStorage(loadRegistry(registry));
for (const { name, retentionMs } of storage.databases) {
  await createDatabase({ url: servers.influx.url, database: name }, retentionMs === null ? {} : { retentionMs });
}
/** The databases the writer fills: every tenant's public and personal ones. */
const rawDatabases: InfluxReadSettings[] = storage.databases
  .filter(({ name }) => parseDatabaseName(name)?.dataClass !== "open")
  .map(({ name }) => ({ url: servers.influx.url, database: name }));

const kafka = { KAFKA_BROKERS: servers.kafka.brokers.join(",") };
const workers: Record<string, Record<string, string>> = {
  "mqtt-bridge": {
    ...kafka,
    MQTT_SOURCES: JSON.stringify([
      {
        id: "city-mosquitto",
        url: servers.mosquitto.url,
        username: bridgeUser,
        passwordFile: mqttPasswordFile(bridgeUser),
        brokerStats: true,
        // MQTT 5 lets the bridge set its own receive window (3.1.1: Mosquitto's 20).
        protocolVersion: 5,
        subscriptions,
      },
    ]),
  },
  normalizer: { ...kafka, NORMALIZER_REGISTRY: registry, NORMALIZER_OBSERVATION_VERSION: "4" },
  "influx-writer": { ...kafka, INFLUX_URL: servers.influx.url, WRITER_DECLARATION: registry },
  ...simulators,
  // Roll-ups into each tenant's open database every minute, so that they show soon.
  aggregator: {
    ...kafka,
    INFLUX_URL: servers.influx.url,
    AGGREGATOR_DECLARATION: registry,
    AGGREGATOR_SHORT_WINDOW: "1m",
    AGGREGATOR_LATENESS: "2m",
    AGGREGATOR_CATCH_UP: "1h",
  },
};

// The meter-data API on the utility's household meters, with a token for its
// metering office (stored hashed; the token itself is printed below, once).
const meterData = join(root, ".cache", "meter-data");
rmSync(meterData, { recursive: true, force: true });
const meterApi = {
  INFLUX_URL: servers.influx.url,
  METER_DECLARATION: registry,
  METER_TOKENS_FILE: join(meterData, "tokens.json"),
  METER_ACCESS_LOG_DIR: join(meterData, "access-log"),
  METER_API_HOST: "127.0.0.1",
  METER_API_PORT: String(await preferred(8080)),
};
const meterToken = execFileSync(
  process.execPath,
  [join(root, "services/meter-data-api/src/token-command.ts"), "create", "--reader", meteringReader, "--expires", "7d"],
  { env: { ...process.env, ...meterApi }, encoding: "utf8" },
).trim();
workers["meter-data-api"] = meterApi;

// The open-data API on every tenant's roll-ups, for anyone and without a token.
const openDataApi = {
  INFLUX_URL: servers.influx.url,
  OPEN_DATA_DECLARATION: registry,
  OPEN_DATA_API_HOST: "127.0.0.1",
  OPEN_DATA_API_PORT: String(await preferred(8090)),
};
workers["open-data-api"] = openDataApi;

// Grafana's file provisioning of the declared organisations' data sources and dashboards,
// for a Grafana started with its provisioning folder here; `apply` does the rest (teams, permissions).
const grafanaFiles = join(root, ".cache", "grafana");
rmSync(grafanaFiles, { recursive: true, force: true });
const grafanaExport = execFileSync(
  process.execPath,
  [
    join(root, "services/grafana-provisioner/src/main.ts"),
    "export",
    "--declaration",
    registry,
    "--without-credentials",
    "--out",
    grafanaFiles,
  ],
  { encoding: "utf8" },
);
/** What the export wrote, one line per file: the organisations' data sources and dashboards. */
const grafanaWritten = grafanaExport
  .split("\n")
  .filter((line) => line.startsWith("wrote "))
  .map((line) => line.slice("wrote ".length).replace(`${grafanaFiles}/`, ""));
/** Each process's service: the two simulators are one service with two fleets. */
const serviceOf = (name: string) => (name.startsWith("simulator") ? "simulator" : name);

const running: RunningProcess[] = [];
const opsPorts: Record<string, number> = {};
let report: NodeJS.Timeout | undefined;
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

const started = Date.now();
for (const [name, env] of Object.entries(workers)) {
  opsPorts[name] = await freePort();
  const child = startProcess(name, process.execPath, [join(root, "services", serviceOf(name), "src/main.ts")], {
    env: { ...process.env, ...env, OPS_HOST: "127.0.0.1", OPS_PORT: String(opsPorts[name]) },
  });
  const log = createWriteStream(join(logDir, `${name}.log`));
  if (name === "normalizer") createInterface({ input: child.process.stdout as Readable }).on("line", showRefused);
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

// The banner (and the smoke run's own publish) only once data flows end to end: a
// reading published before the bridge has subscribed would reach nobody.
if (!(await flowing(90_000))) {
  console.error(`No points reached InfluxDB within 90 s; the worker logs are in ${logDir}/`);
  await stop(1);
}

const example = `SELECT mean("vehicle_count") FROM "traffic" WHERE time > now() - 15m GROUP BY time(1m), "device"`;
// Exactly what a newcomer copies; the smoke run publishes it through a shell too, so it cannot rot.
// The time comes from the shell when the line is run, never from this start.
// The password stays in its file: the command reads it when run.
const publishCommand = `mosquitto_pub -h 127.0.0.1 -p ${servers.mosquitto.port} -u ${tenant} -P "$(cat '${mqttPasswordFile(tenant)}')" -q 1 -t stadtfluss/${tenant}/${ownDevice}/up -m '{"time":"'"$(date -u +%FT%TZ)"'","readings":[{"kind":"air.pm10","value":12.5,"unit":"ug/m3"}]}'`;
const normalizerLog = join(logDir, "normalizer.log");
const meterApiUrl = `http://127.0.0.1:${meterApi.METER_API_PORT}`;
const openDatabase = databaseName(tenant, "open");
const openQuery = `SELECT "vehicle_count_sum" FROM "traffic" WHERE "scope" = 'district' AND "resolution" = '1m' GROUP BY "district" ORDER BY time DESC LIMIT 3`;
const openCommand = `curl -sG ${servers.influx.url}/query --data-urlencode db=${openDatabase} --data-urlencode "q=${openQuery}"`;
const openDataUrl = `http://127.0.0.1:${openDataApi.OPEN_DATA_API_PORT}`;
const openDataCommand = `curl -s "${openDataUrl}/v1/datasets/${tenant}/traffic/latest?format=geojson&resolution=1m"`;
const exampleMeter = "meter-0001";
// The day comes from the shell when the line is run, like the publish command's time.
const meterCommand = `curl -s -H "Authorization: Bearer ${meterToken}" "${meterApiUrl}/v1/meters/${exampleMeter}/load-profile?from=$(date +%F)&to=$(date -d tomorrow +%F)&format=csv&dialect=de"`;
console.log(`
Stadtfluss is running.
  MQTT (Mosquitto)   ${servers.mosquitto.url}   (every payload format: services/normalizer/src/decoders/README.md)
  Kafka brokers      ${servers.kafka.brokers.join(",")}
  InfluxDB           ${servers.influx.url}   a database per tenant and class: ${storage.databases.map((d) => d.name).join(", ")}
  Device registry    ${registry}/
  Worker logs        ${logDir}/
  Worker metrics     ${Object.entries(opsPorts)
    .map(([name, port]) => `${name} http://127.0.0.1:${port}/metrics`)
    .join("\n                     ")}

Try a query:
  curl -sG ${servers.influx.url}/query --data-urlencode db=${database} --data-urlencode 'q=${example}'
Publish your own reading (device "${ownDevice}" is in ${join(registry, "your-devices.yaml")}):
  ${publishCommand}
and read it back:
  curl -sG ${servers.influx.url}/query --data-urlencode db=${database} --data-urlencode "q=SELECT * FROM air WHERE device = '${ownDevice}'"
Open data: the aggregator's roll-ups (docs/open-data.md), every minute into ${openDatabase}:
  ${openCommand}
Meter data for the utility ${utility} (docs/meter-data.md):
  API                ${meterApiUrl}   (its OpenAPI description: ${meterApiUrl}/openapi.json)
  Token              ${meterToken}   (reader ${meteringReader}, 7 days; stored hashed in ${meterApi.METER_TOKENS_FILE})
  Today's load profile of ${exampleMeter}, as German CSV (quarter-hours before its first reading are gaps):
  ${meterCommand}
Open-data API and its catalog (docs/open-data.md), for anyone, no token:
  Catalog page       ${openDataUrl}/   (DCAT-AP.de: ${openDataUrl}/catalog.ttl)
  Latest traffic of every counter, for a map:
  ${openDataCommand}
Grafana (docs/grafana.md): an organisation per tenant, declared in ${join(registry, "grafana.yaml")}.
  File provisioning  ${grafanaFiles}/   (a Grafana per tenant: its paths.provisioning = <tenant>/provisioning):
                     ${grafanaWritten.join("\n                     ")}
  A running Grafana, made to match (plan first; its server admin's password in a file):
  pnpm grafana plan --url http://127.0.0.1:3000 --password-file <file> --declaration ${registry} --without-credentials
  pnpm grafana apply --url http://127.0.0.1:3000 --password-file <file> --declaration ${registry} --without-credentials
Refused messages are printed here as they happen; each one is in ${normalizerLog}
("dead letter", with stage and reason) and in the Kafka topic dead-letter.v1.
${runSeconds > 0 ? `\nSmoke run: stopping after ${runSeconds} s.` : "Press Ctrl-C to stop."}
`);

/**
 * Points per measurement over every tenant's raw databases: `count(*)` counts each field, so the largest
 * field count is the point count. The window is measured on this process's clock, not InfluxDB's `now()`:
 * the points carry this machine's times.
 */
async function pointsSince(windowMs: number): Promise<Record<string, number>> {
  const since = quoteString(new Date(Date.now() - windowMs).toISOString());
  const points: Record<string, number> = {};
  for (const db of rawDatabases) {
    const [series = []] = await influxQL(
      db,
      `SELECT count(*) FROM ${measurements.map(quoteIdentifier).join(",")} WHERE time > ${since}`,
    );
    for (const s of series) {
      points[s.name] = (points[s.name] ?? 0) + Math.max(...(s.values[0] ?? []).slice(1).map((v) => Number(v) || 0));
    }
  }
  return points;
}
function total(points: Record<string, number>): number {
  return Object.values(points).reduce((a, b) => a + b, 0);
}

report = setInterval(async () => {
  const lastMinute = await pointsSince(60_000).catch(() => ({}));
  const parts = Object.entries(lastMinute).map(([m, n]) => `${m} ${n}`);
  console.log(
    `${new Date().toISOString()}  points stored in the last minute: ${total(lastMinute)} (${parts.join(", ")})`,
  );
}, 10_000);

if (runSeconds > 0) {
  const published =
    (await publishAsPrinted()) && (await meterDataAsPrinted()) && (await rolledUp()) && (await openDataAsPrinted());
  await sleep(Math.max(0, started + runSeconds * 1000 - Date.now()));
  const stored = total(await pointsSince(3_600_000));
  const elapsed = Math.round((Date.now() - started) / 1000);
  console.log(`Smoke run: ${stored} points stored in InfluxDB in ${elapsed} s.`);
  await stop(stored > 0 && published ? 0 : 1);
}

/** Until every worker is ready and the simulator's points arrive in InfluxDB, or the time is up. */
async function flowing(timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const ready = await Promise.all(
      Object.values(opsPorts).map((port) =>
        fetch(`http://127.0.0.1:${port}/readyz`).then(
          (response) => response.ok,
          () => false,
        ),
      ),
    );
    if (ready.every(Boolean) && total(await pointsSince(60_000).catch(() => ({}))) > 0) return true;
    await sleep(500);
  }
  return false;
}

/** Runs the printed publish command in a shell and waits until its reading is stored. */
async function publishAsPrinted(): Promise<boolean> {
  execFileSync("/bin/sh", ["-c", publishCommand], { stdio: "inherit" });
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const [series = []] = await influxQL(
      influx,
      `SELECT count("pm10") FROM "air" WHERE "device" = ${quoteString(ownDevice)}`,
    ).catch(() => []);
    if (series.length > 0) {
      console.log(`Smoke run: the printed mosquitto_pub command's reading is stored (device ${ownDevice}).`);
      return true;
    }
    await sleep(250);
  }
  console.error(
    `Smoke run: the printed mosquitto_pub command's reading did not arrive within 30 s; see ${normalizerLog}`,
  );
  return false;
}

/** Until the aggregator has written a minute's roll-up of the simulated traffic, or 90 s passed. */
async function rolledUp(): Promise<boolean> {
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    const [series = []] = await influxQL({ url: servers.influx.url, database: openDatabase }, openQuery).catch(
      () => [],
    );
    if (series.length > 0) {
      console.log(`Smoke run: the aggregator's roll-ups are in ${openDatabase} (${series.length} districts).`);
      return true;
    }
    await sleep(1000);
  }
  console.error(`Smoke run: no roll-up reached ${openDatabase} within 90 s; see ${join(logDir, "aggregator.log")}`);
  return false;
}

/** Runs the printed meter-data request in a shell: it must answer with the meter's quarter-hours. */
async function meterDataAsPrinted(): Promise<boolean> {
  // The meter is known once its first reading is stored, which on a busy machine may come
  // after the town's traffic: asked again until then, for at most a minute.
  const deadline = Date.now() + 60_000;
  let csv = "";
  while (Date.now() < deadline) {
    // Not synchronously: the workers' output goes through this process's event loop.
    csv = (await promisify(execFile)("/bin/sh", ["-c", meterCommand], { encoding: "utf8" })).stdout;
    const rows = csv.trim().split("\n");
    // A day has 92 to 100 quarter-hours, and the header names the columns.
    if (rows.length >= 93 && rows[0]?.includes(";")) {
      console.log(
        `Smoke run: the printed meter-data request answers ${rows.length - 1} quarter-hours of ${exampleMeter}.`,
      );
      return true;
    }
    await sleep(1000);
  }
  console.error(`Smoke run: the printed meter-data request answered:\n${csv.slice(0, 500)}`);
  return false;
}

/** Runs the printed open-data request in a shell: the roll-ups must be published as GeoJSON features. */
async function openDataAsPrinted(): Promise<boolean> {
  const deadline = Date.now() + 60_000;
  let stdout = "";
  while (Date.now() < deadline) {
    stdout = (await promisify(execFile)("/bin/sh", ["-c", openDataCommand], { encoding: "utf8" })).stdout;
    let features: unknown[] = [];
    try {
      features = (JSON.parse(stdout) as { features?: unknown[] }).features ?? [];
    } catch {
      // Not JSON: asked again, and reported below.
    }
    const page = await fetch(`${openDataUrl}/`).then((response) => response.text());
    if (features.length > 0 && page.includes(`${tenant}/traffic`)) {
      console.log(
        `Smoke run: the printed open-data request answers ${features.length} features; the catalog page lists the traffic.`,
      );
      return true;
    }
    await sleep(1000);
  }
  console.error(`Smoke run: the printed open-data request answered:\n${stdout.slice(0, 500)}`);
  return false;
}

/** A dead letter of the normalizer, one short line on the console: a refused reading must not pass unseen. */
function showRefused(line: string): void {
  if (!line.includes('"dead letter"')) return;
  try {
    const { stage, reason } = JSON.parse(line) as { stage?: string; reason?: string };
    console.log(`${new Date().toISOString()}  refused (stage ${stage}): ${String(reason).slice(0, 300)}`);
  } catch {
    // Not a JSON line: the log file has it.
  }
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
