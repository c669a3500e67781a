/**
 * `pnpm bench:scale-out`: throughput of the normalizer and the writer with one, two
 * and three replicas of each in their consumer groups, on the same partitions, as
 * ratios to one replica in the same run, with the CPU each replica used.
 *
 * For each replica count the raw topic is filled first (one bridge, then stopped);
 * then the normalizers alone drain it into the observations topic, then the writers
 * alone drain that into InfluxDB, each stage on a full topic. A stage's rate is
 * taken from 10 % done (and every replica consuming) to 90 %, so that start-up and
 * the joins' rebalances stay outside it. Every replica runs on this
 * machine's cores beside Mosquitto, the Kafka-protocol broker and InfluxDB: on 2 cores a second replica
 * takes CPU from the first, so the ratios show the cap of the machine, not of the
 * design (docs/scaling.md).
 */
import { writeFileSync } from "node:fs";
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
import { cpuSecondsOf } from "../end-to-end/process-usage.ts";

const messages = Number(process.env.SCALE_OUT_MESSAGES ?? 300_000);
const replicaCounts = (process.env.SCALE_OUT_REPLICAS ?? "1,2,3").split(",").map(Number);
const fillRate = Number(process.env.SCALE_OUT_FILL_RATE ?? 15_000);
const devices = 300;

const servers = await startLocalServers({ queues: "stadtfluss" });
const admin = new Kafka({ brokers: servers.kafka.brokers, logLevel: logLevel.NOTHING }).admin();
await admin.connect();

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

interface StageResult {
  messagesPerSecond: number;
  seconds: number;
  /** % of one core over the measured window, per replica. */
  cpu: number[];
}
interface Step {
  replicas: number;
  partitions: number;
  normalizer: StageResult;
  "influx-writer": StageResult;
}

/**
 * Starts `replicas` of a worker on a topic already full and measures how fast they
 * take it to the next stage: from 10 % done (and every replica consuming) to 90 %.
 */
async function stage(
  service: string,
  replicas: number,
  env: Record<string, string>,
  done: () => Promise<number>,
): Promise<StageResult> {
  const workers = await Promise.all(Array.from({ length: replicas }, () => started(service, env)));
  // Every replica has taken messages: the last join's rebalance gave each its
  // partitions (the mock broker has no DescribeGroups to ask).
  const messagesIn = async (w: WorkerProcess) =>
    metricSum(await (await fetch(`${w.opsUrl}/metrics`)).text(), "stadtfluss_messages_in_total");
  await until(
    `every ${service} consuming`,
    () => Promise.all(workers.map(messagesIn)),
    (n) => n.every((x) => x > 0),
    120_000,
  );
  const mark = async () => ({
    at: performance.now(),
    done: await done(),
    cpu: workers.map((w) => cpuSecondsOf(w.process.pid)),
  });
  const from = await until(`${service}: 10 % done`, mark, (m) => m.done >= messages * 0.1, 300_000);
  if (from.done > messages * 0.5)
    throw new Error(`every ${service} consumed only after half the messages: raise SCALE_OUT_MESSAGES`);
  const to = await until(`${service}: 90 % done`, mark, (m) => m.done >= messages * 0.9, 600_000);
  await until(`${service}: every message done`, done, (n) => n >= messages, 600_000);
  for (const w of workers) w.process.kill("SIGTERM");
  await Promise.all(workers.map((w) => w.exited));
  const seconds = (to.at - from.at) / 1000;
  return {
    messagesPerSecond: Math.round((to.done - from.done) / seconds),
    seconds: Math.round(seconds * 10) / 10,
    cpu: workers.map((_, i) => Math.round((((to.cpu[i] ?? 0) - (from.cpu[i] ?? 0)) / seconds) * 1000) / 10),
  };
}

async function step(replicas: number): Promise<Step> {
  const id = uniqueName(`scale-${replicas}`);
  const database = id.replaceAll("-", "_");
  await createDatabase({ url: servers.influx.url, database });
  const prefix = `${id}.`;
  const kafka = { KAFKA_BROKERS: servers.kafka.brokers.join(","), KAFKA_TOPIC_PREFIX: prefix };
  const { raw, observations } = topicsFor(prefix);
  const records = async (topic: string) =>
    (await admin.fetchTopicOffsets(topic).catch(() => [])).reduce((sum, p) => sum + Number(p.high), 0);

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
  await until(
    "the raw topic filled",
    () => records(raw),
    (n) => n >= messages,
    120_000,
  );
  bridge.process.kill("SIGTERM");
  await bridge.exited;
  const partitions = (await admin.fetchTopicMetadata({ topics: [raw] })).topics[0]?.partitions.length ?? 0;

  // One stage at a time, each on a full topic: the normalizers alone, then the writers alone.
  const normalizer = await stage("normalizer", replicas, { ...kafka, KAFKA_GROUP_ID: `${id}-n` }, () =>
    records(observations),
  );
  const stored = async () => {
    const answer = await influxQL({ url: servers.influx.url, database }, 'SELECT count("seq") FROM "traffic"').catch(
      () => [],
    );
    return Number(answer[0]?.[0]?.values[0]?.[1] ?? 0);
  };
  const writer = await stage(
    "influx-writer",
    replicas,
    { ...kafka, KAFKA_GROUP_ID: `${id}-w`, INFLUX_URL: servers.influx.url, INFLUX_BUCKET: database },
    stored,
  );
  return { replicas, partitions, normalizer, "influx-writer": writer };
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

const base = (worker: "normalizer" | "influx-writer") => steps[0]?.[worker].messagesPerSecond ?? Number.NaN;
const cell = (s: Step, worker: "normalizer" | "influx-writer") =>
  `${s[worker].messagesPerSecond.toLocaleString("en")} | ${(s[worker].messagesPerSecond / base(worker)).toFixed(2)} | ${s[worker].cpu.join(" / ")}`;
const machine = `${cpus()[0]?.model.trim() ?? "unknown CPU"}, ${cpus().length} cores, Node ${process.version}`;
const results = join(repositoryRoot(), "bench/results");
const stamp = startedAt.replaceAll(":", "-");
writeFileSync(
  join(results, `scale-out-${stamp}.json`),
  `${JSON.stringify({ startedAt, machine, messages, fillRate, devices, steps }, null, 2)}\n`,
);
const row = (s: Step) => `| ${s.replicas} | ${s.partitions} | ${cell(s, "normalizer")} | ${cell(s, "influx-writer")} |`;
writeFileSync(
  join(results, "scale-out-latest.md"),
  `# Scale-out: normalizers and writers in their consumer groups

${startedAt} (\`scale-out-${stamp}.json\`), ${machine}. Mosquitto, the Kafka-protocol
broker (librdkafka's mock, 3 partitions per topic) and InfluxDB 1.6.7 on the same
machine. Per replica count: ${messages.toLocaleString("en")} messages of ${devices} devices
(one observation each) put into the raw topic first; then that many normalizers
alone take them to the observations topic, then that many writers alone to InfluxDB,
each group on a full topic. A stage's rate runs from 10 % of the messages done (and
every replica consuming) to 90 %; the CPU is each replica's (user + system, % of one
core) over that window.

| replicas | partitions | normalizer msg/s | ÷ one | CPU % per normalizer | writer msg/s | ÷ one | CPU % per writer |
| ---: | ---: | ---: | ---: | --- | ---: | ---: | --- |
${steps.map(row).join("\n")}

On ${cpus().length} cores shared with the servers, replicas compete for the same cores:
a ratio near 1 says the machine is the limit, not that replicas add nothing. The
sum of the replicas' CPU against one replica's shows whether the work was shared;
what more cores would carry is arithmetic in [docs/scaling.md](../../docs/scaling.md).
`,
);
