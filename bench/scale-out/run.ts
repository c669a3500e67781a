/**
 * `pnpm bench:scale-out`: throughput of the normalizer and the writer with one, two
 * and three replicas of each in their consumer groups, on the same partitions, as
 * ratios to one replica in the same run, with the CPU each replica used.
 *
 * For each replica count the raw topic is filled first (one bridge, then stopped),
 * then the replicas start together and drain it into InfluxDB. The rate is taken
 * from 10 % of the messages stored (and every replica consuming) to 90 %, so that
 * start-up and the joins' rebalances stay outside it. Every replica runs on this
 * machine's cores beside Mosquitto, the Kafka-protocol broker and InfluxDB: on 2 cores a second replica
 * takes CPU from the first, so the ratios show the cap of the machine, not of the
 * design (docs/scaling.md).
 */
import { readFileSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { createDatabase, influxQL } from "@stadtfluss/influx";
import { topicsFor } from "@stadtfluss/kafka";
import {
  metricSum,
  publishNumbered,
  repositoryRoot,
  startLocalServers,
  startWorker,
  uniqueName,
  type WorkerProcess,
} from "@stadtfluss/testing";
import { Kafka, logLevel } from "kafkajs";

const messages = Number(process.env.SCALE_OUT_MESSAGES ?? 300_000);
const replicaCounts = (process.env.SCALE_OUT_REPLICAS ?? "1,2,3").split(",").map(Number);
const fillRate = Number(process.env.SCALE_OUT_FILL_RATE ?? 15_000);
const devices = 300;
/** Clock ticks per second of /proc/<pid>/stat's utime and stime (USER_HZ, 100 on Linux). */
const ticksPerSecond = 100;

const servers = await startLocalServers({ queues: "stadtfluss" });
const admin = new Kafka({ brokers: servers.kafka.brokers, logLevel: logLevel.NOTHING }).admin();
await admin.connect();

/** User and system CPU seconds of a process so far; NaN once it is gone. */
function cpuSeconds(pid: number | undefined): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
  } catch {
    return Number.NaN;
  }
}

/** Every worker this run started, stopped at the end also when a step fails. */
const running: WorkerProcess[] = [];
async function started(service: string, env: Record<string, string>): Promise<WorkerProcess> {
  const worker = await startWorker(service, env);
  running.push(worker);
  return worker;
}

async function until<T>(what: string, read: () => Promise<T>, holds: (v: T) => boolean, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (holds(value)) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs / 1000} s (last: ${String(value)})`);
    await sleep(250);
  }
}

interface Step {
  replicas: number;
  partitions: number;
  seconds: number;
  messagesPerSecond: number;
  /** % of one core over the measured window, per replica. */
  cpu: { normalizer: number[]; "influx-writer": number[] };
}

async function step(replicas: number): Promise<Step> {
  const id = uniqueName(`scale-${replicas}`);
  const database = id.replaceAll("-", "_");
  await createDatabase({ url: servers.influx.url, database });
  const prefix = `${id}.`;
  const kafka = { KAFKA_BROKERS: servers.kafka.brokers.join(","), KAFKA_TOPIC_PREFIX: prefix };
  const { raw } = topicsFor(prefix);

  const bridge = await started("mqtt-bridge", {
    ...kafka,
    MQTT_SOURCES: JSON.stringify([
      {
        id: "city",
        url: servers.mosquitto.url,
        clientId: `${id}-bridge`,
        protocolVersion: 5,
        subscriptions: [{ topic: `${id}/{tenant}/{device}/up`, format: "stadtfluss-json" }],
      },
    ]),
  });
  await publishNumbered({
    url: servers.mosquitto.url,
    topicPrefix: id,
    tenant: "musterstadt",
    devices,
    count: messages,
    rate: fillRate,
  });
  const inRaw = async () =>
    (await admin.fetchTopicOffsets(raw).catch(() => [])).reduce((sum, p) => sum + Number(p.high), 0);
  await until("the raw topic filled", inRaw, (n) => n >= messages, 120_000);
  bridge.process.kill("SIGTERM");
  await bridge.exited;
  const partitions = (await admin.fetchTopicMetadata({ topics: [raw] })).topics[0]?.partitions.length ?? 0;

  const start = (service: string, env: Record<string, string>) => started(service, { ...kafka, ...env });
  const workers: Record<"normalizer" | "influx-writer", WorkerProcess[]> = {
    normalizer: [],
    "influx-writer": [],
  };
  await Promise.all(
    Array.from({ length: replicas }, async () => {
      workers.normalizer.push(await start("normalizer", { KAFKA_GROUP_ID: `${id}-n` }));
      workers["influx-writer"].push(
        await start("influx-writer", {
          KAFKA_GROUP_ID: `${id}-w`,
          INFLUX_URL: servers.influx.url,
          INFLUX_BUCKET: database,
        }),
      );
    }),
  );
  const all = [...workers.normalizer, ...workers["influx-writer"]];
  const stored = async () => {
    const answer = await influxQL({ url: servers.influx.url, database }, 'SELECT count("seq") FROM "traffic"').catch(
      () => [],
    );
    return Number(answer[0]?.[0]?.values[0]?.[1] ?? 0);
  };
  const mark = async () => ({
    at: performance.now(),
    stored: await stored(),
    cpu: all.map((w) => cpuSeconds(w.process.pid)),
  });
  // Every replica has taken messages: the last join's rebalance gave each its
  // partitions (the mock broker has no DescribeGroups to ask).
  const messagesIn = async (w: WorkerProcess) =>
    metricSum(await (await fetch(`${w.opsUrl}/metrics`)).text(), "stadtfluss_messages_in_total");
  await until(
    "every replica consuming",
    () => Promise.all(all.map(messagesIn)),
    (n) => n.every((x) => x > 0),
    120_000,
  );
  const from = await until("10 % stored", mark, (m) => m.stored >= messages * 0.1, 300_000);
  if (from.stored > messages * 0.5)
    throw new Error("every replica consumed only after half the messages: raise SCALE_OUT_MESSAGES");
  const to = await until("90 % stored", mark, (m) => m.stored >= messages * 0.9, 600_000);
  await until("every message stored", stored, (n) => n >= messages, 600_000);
  for (const w of all) w.process.kill("SIGTERM");
  await Promise.all(all.map((w) => w.exited));

  const seconds = (to.at - from.at) / 1000;
  const cpu = (i: number) => Math.round((((to.cpu[i] ?? 0) - (from.cpu[i] ?? 0)) / seconds) * 1000) / 10;
  return {
    replicas,
    partitions,
    seconds: Math.round(seconds * 10) / 10,
    messagesPerSecond: Math.round((to.stored - from.stored) / seconds),
    cpu: {
      normalizer: workers.normalizer.map((_, i) => cpu(i)),
      "influx-writer": workers["influx-writer"].map((_, i) => cpu(replicas + i)),
    },
  };
}

const startedAt = new Date().toISOString();
const steps: Step[] = [];
try {
  for (const replicas of replicaCounts) {
    const result = await step(replicas);
    steps.push(result);
    console.log(JSON.stringify(result));
  }
} finally {
  for (const w of running) if (w.process.exitCode === null && w.process.signalCode === null) w.process.kill("SIGKILL");
  await admin.disconnect();
  await servers.stop();
}

const base = steps[0]?.messagesPerSecond ?? Number.NaN;
const machine = `${cpus()[0]?.model.trim() ?? "unknown CPU"}, ${cpus().length} cores, Node ${process.version}`;
const results = join(repositoryRoot(), "bench/results");
const stamp = startedAt.replaceAll(":", "-");
writeFileSync(
  join(results, `scale-out-${stamp}.json`),
  `${JSON.stringify({ startedAt, machine, messages, fillRate, devices, steps }, null, 2)}\n`,
);
const row = (s: Step) =>
  `| ${s.replicas} + ${s.replicas} | ${s.partitions} | ${s.messagesPerSecond.toLocaleString("en")} | ${(s.messagesPerSecond / base).toFixed(2)} | ${s.cpu.normalizer.join(" / ")} | ${s.cpu["influx-writer"].join(" / ")} |`;
writeFileSync(
  join(results, "scale-out-latest.md"),
  `# Scale-out: normalizers and writers in their consumer groups

${startedAt} (\`scale-out-${stamp}.json\`), ${machine}. Mosquitto, the Kafka-protocol
broker (librdkafka's mock, 3 partitions per topic) and InfluxDB 1.6.7 on the same
machine. Per replica count: ${messages.toLocaleString("en")} messages of ${devices} devices
(one observation each) put into the raw topic first, then that many normalizers and
writers started together; the rate is the one from 10 % of them stored (and every
replica consuming) to 90 %, the CPU each replica's (user + system, % of one core)
over that window.

| normalizers + writers | partitions | messages/s stored | ÷ one replica each | CPU % per normalizer | CPU % per writer |
| --- | ---: | ---: | ---: | --- | --- |
${steps.map(row).join("\n")}

On ${cpus().length} cores shared with the servers, replicas compete for the same cores:
a ratio near 1 says the machine is the limit, not that replicas add nothing. The
sum of the replicas' CPU against one replica's shows whether the work was shared;
what more cores would carry is arithmetic in [docs/scaling.md](../../docs/scaling.md).
`,
);
