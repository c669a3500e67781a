/**
 * `pnpm bench:outage`: how much memory the workers hold while a server is down.
 *
 * Publishes at a steady rate, takes a server down for a minute (`OUTAGE_SERVER`:
 * `influxdb`, the default, or `kafka`: every broker of the local cluster), brings
 * it back and samples each worker's resident memory every second. The figure is
 * the peak during the outage against each worker's own level just before it (a
 * ratio, measured in the same run), plus the backlog held instead.
 *
 * The Kafka variant measures the bridge holding its whole in-flight bound: its
 * source speaks MQTT 5, so Mosquitto sends at most the bridge's Receive Maximum
 * unacknowledged and queues the rest, and rate × outage exceeds that bound.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { createDatabase, influxQL } from "@stadtfluss/influx";
import {
  metricSum,
  publishNumbered,
  repositoryRoot,
  startLocalServers,
  startWorker,
  uniqueName,
} from "@stadtfluss/testing";
import { Kafka, logLevel } from "kafkajs";
import mqtt from "mqtt";

const server = process.env.OUTAGE_SERVER ?? "influxdb";
if (server !== "influxdb" && server !== "kafka")
  throw new Error(`OUTAGE_SERVER must be influxdb or kafka, not ${server}`);
const rate = Number(process.env.OUTAGE_RATE ?? (server === "kafka" ? 2_000 : 1_000));
const outageSeconds = Number(process.env.OUTAGE_SECONDS ?? 60);
const before = 20;
const after = 40;
/** BRIDGE_MAX_IN_FLIGHT's default, and MQTT 5's largest Receive Maximum. */
const bridgeBound = 65_535;
if (server === "kafka" && rate * outageSeconds <= bridgeBound) {
  console.warn(`${rate} msg/s × ${outageSeconds} s does not exceed the bridge's bound of ${bridgeBound}`);
}

const servers = await startLocalServers({ queues: "stadtfluss" });
const id = uniqueName("outage");
const database = id.replaceAll("-", "_");
await createDatabase({ url: servers.influx.url, database });
const kafka = { KAFKA_BROKERS: servers.kafka.brokers.join(","), KAFKA_TOPIC_PREFIX: `${id}.`, LOG_LEVEL: "warn" };
const workers = {
  "mqtt-bridge": await startWorker(
    "mqtt-bridge",
    {
      ...kafka,
      MQTT_SOURCES: JSON.stringify([
        {
          id: "city",
          url: servers.mosquitto.url,
          clientId: `${id}-bridge`,
          ...(server === "kafka" ? { protocolVersion: 5 } : {}),
          subscriptions: [{ topic: `${id}/{tenant}/{device}/up`, format: "stadtfluss-json" }],
        },
      ]),
    },
    { waitForStart: false },
  ),
  normalizer: await startWorker("normalizer", { ...kafka, KAFKA_GROUP_ID: `${id}-n` }, { waitForStart: false }),
  "influx-writer": await startWorker(
    "influx-writer",
    { ...kafka, KAFKA_GROUP_ID: `${id}-w`, INFLUX_URL: servers.influx.url, INFLUX_BUCKET: database },
    { waitForStart: false },
  ),
};
await sleep(5_000);

// Every broker the cluster reports (the mock numbers them from 1).
const admin = new Kafka({ brokers: servers.kafka.brokers, logLevel: logLevel.NOTHING }).admin();
await admin.connect();
const brokerIds = (await admin.describeCluster()).brokers.map((b) => b.nodeId);
await admin.disconnect();
const outage =
  server === "kafka"
    ? {
        name: `Kafka (all ${brokerIds.length} brokers)`,
        stop: () => Promise.all(brokerIds.map((b) => servers.kafka.command(`down ${b}`))),
        start: () => Promise.all(brokerIds.map((b) => servers.kafka.command(`up ${b}`))),
      }
    : { name: "InfluxDB", stop: () => servers.influx.stopServer(), start: () => servers.influx.startServer() };

// Mosquitto's own view (sys_interval 1): messages in its store (queued or in
// flight to a client) and messages it dropped for a client whose queue was full.
const sys = { stored: 0, dropped: 0 };
const sysClient = await mqtt.connectAsync(servers.mosquitto.url, { clientId: `${id}-sys` });
sysClient.on("message", (topic, payload) => {
  const value = Number(payload.toString()) || 0;
  if (topic.endsWith("/dropped")) sys.dropped = value;
  else sys.stored = value;
});
await sysClient.subscribeAsync(["$SYS/broker/store/messages/count", "$SYS/broker/publish/messages/dropped"], {
  qos: 0,
});

const metrics = async (url: string) => {
  const text = await fetch(`${url}/metrics`).then(
    (r) => r.text(),
    () => "",
  );
  // No answer (a worker busy or gone) is NaN, not 0.
  const value = (name: string) => (text === "" ? Number.NaN : metricSum(text, name));
  return {
    rss: value("stadtfluss_process_resident_memory_bytes"),
    heapUsed: value("stadtfluss_nodejs_heap_size_used_bytes"),
    inFlight: value("stadtfluss_in_flight_messages"),
    failed: value("stadtfluss_messages_failed_total"),
    deadLetters: value("stadtfluss_dead_letters_total"),
  };
};
async function storedCount(): Promise<number> {
  const answer = await influxQL({ url: servers.influx.url, database }, 'SELECT count("seq") FROM "traffic"').catch(
    () => [],
  );
  return Number(answer[0]?.[0]?.values[0]?.[1] ?? 0);
}

const total = rate * (before + outageSeconds + after);
const load = publishNumbered({
  url: servers.mosquitto.url,
  topicPrefix: id,
  tenant: "musterstadt",
  devices: 100,
  count: total,
  rate,
});
interface Sample {
  second: number;
  phase: string;
  rss: Record<string, number>;
  heapUsed: Record<string, number>;
  inFlight: Record<string, number>;
  failed: Record<string, number>;
  deadLetters: Record<string, number>;
  mosquitto: { stored: number; dropped: number };
}
const samples: Sample[] = [];
const started = Date.now();
let phase = "before";
const sampler = setInterval(async () => {
  const second = Math.round((Date.now() - started) / 1000);
  const mosquitto = { ...sys };
  const entries = await Promise.all(
    Object.entries(workers).map(async ([name, w]) => [name, await metrics(w.opsUrl)] as const),
  );
  const pick = (key: keyof Awaited<ReturnType<typeof metrics>>) =>
    Object.fromEntries(entries.map(([n, m]) => [n, m[key]]));
  samples.push({
    second,
    phase,
    rss: pick("rss"),
    heapUsed: pick("heapUsed"),
    inFlight: pick("inFlight"),
    failed: pick("failed"),
    deadLetters: pick("deadLetters"),
    mosquitto,
  });
}, 1_000);
// How long each worker went without answering /metrics, per phase: a probe every
// 100 ms, the longest time between two answers (a gap that spans a phase change
// counts for the phase it ended in). A worker whose event loop blocks shows here first.
const worstGapMs: Record<string, Record<string, number>> = Object.fromEntries(
  Object.keys(workers).map((name) => [name, {}]),
);
let probing = true;
const probes = Object.entries(workers).map(async ([name, w]) => {
  let last = performance.now();
  while (probing) {
    const answered = await fetch(`${w.opsUrl}/metrics`, { signal: AbortSignal.timeout(60_000) }).then(
      async (r) => r.ok && (await r.text()).length > 0,
      () => false,
    );
    const now = performance.now();
    const gaps = worstGapMs[name];
    if (answered && gaps) {
      gaps[phase] = Math.max(gaps[phase] ?? 0, now - last);
      last = now;
    }
    await sleep(100);
  }
});
// A worker that exits before the end: when, and the reason it logged.
const exits: { name: string; second: number; code: number | null; fatal?: string }[] = [];
let stopping = false;
for (const w of Object.values(workers)) {
  void w.exited.then(({ code }) => {
    if (stopping) return;
    const line = w.output.find((l) => l.includes('"level":"fatal"'));
    const fatal = line ? /"message":"((?:[^"\\]|\\.)*)"/.exec(line)?.[1] : undefined;
    exits.push({ name: w.name, second: Math.round((Date.now() - started) / 1000), code, ...(fatal ? { fatal } : {}) });
  });
}

await sleep(before * 1000);
phase = "outage";
const storedAtStop = await storedCount();
await outage.stop();
await sleep(outageSeconds * 1000);
// What waited instead (in Kafka and Mosquitto, or in the bridge and Mosquitto):
// published by the end of the outage and not in InfluxDB when it began.
const backlog = Math.round((Date.now() - started) / 1000) * rate - storedAtStop;
phase = "after";
await outage.start();
const cameBack = Date.now();
const { acknowledged: published } = await load;
const deadline = Date.now() + 300_000;
let stored = await storedCount();
while (stored < total && Date.now() < deadline && exits.length === 0) {
  await sleep(1_000);
  stored = await storedCount();
}
const drainedAfter = stored >= total ? Math.round((Date.now() - cameBack) / 1000) : undefined;
clearInterval(sampler);
probing = false;
await Promise.all(probes);
await sysClient.endAsync();
const dropped = sys.dropped;
if (exits.length > 0 || stored < total) {
  for (const w of Object.values(workers)) console.error(`--- ${w.name}\n${w.output.slice(-20).join("\n")}`);
}
stopping = true;
await Promise.all(Object.values(workers).map((w) => w.stop()));
await servers.stop();

const mib = (bytes: number) => Math.round((bytes / 2 ** 20) * 10) / 10;
const inPhase = (p: string) => samples.filter((s) => s.phase === p && (p !== "before" || s.second > 5));
const max = (values: number[]) => Math.max(...values.filter((v) => Number.isFinite(v)));
const mean = (values: number[]) => values.reduce((sum, v) => sum + v, 0) / Math.max(1, values.length);
const rows = Object.keys(workers).map((name) => {
  const level = max(inPhase("before").map((s) => s.rss[name] ?? 0));
  const peak = max(inPhase("outage").map((s) => s.rss[name] ?? 0));
  return { name, beforeMiB: mib(level), outagePeakMiB: mib(peak), ratio: Math.round((peak / level) * 100) / 100 };
});

// The bridge at its bound: its resident memory while it held the most messages,
// against its level before, per message held.
const bridge = "mqtt-bridge";
const maxInFlight = max(inPhase("outage").map((s) => s.inFlight[bridge] ?? 0));
const atBound = inPhase("outage").filter((s) => s.inFlight[bridge] === maxInFlight);
const inFlightBefore = mean(inPhase("before").map((s) => s.inFlight[bridge] ?? 0));
const perHeld = (key: "rss" | "heapUsed") => {
  const level = max(inPhase("before").map((s) => s[key][bridge] ?? 0));
  const held = max(atBound.map((s) => s[key][bridge] ?? 0));
  return {
    beforeMiB: mib(level),
    atBoundMiB: mib(held),
    bytesPerMessage: Math.round((held - level) / (maxInFlight - inFlightBefore)),
  };
};
// The same per message from every sample while the bridge filled up (least
// squares), less sensitive to where the garbage collector happened to be at two points.
const filling = inPhase("outage").filter(
  (s) =>
    s.second <= (atBound[0]?.second ?? Number.POSITIVE_INFINITY) && Number.isFinite(s.inFlight[bridge] ?? Number.NaN),
);
const slope = (key: "rss" | "heapUsed") => {
  const xs = filling.map((s) => s.inFlight[bridge] ?? 0);
  const ys = filling.map((s) => s[key][bridge] ?? 0);
  const mx = mean(xs);
  const my = mean(ys);
  const sxy = xs.reduce((sum, x, i) => sum + (x - mx) * ((ys[i] ?? 0) - my), 0);
  const sxx = xs.reduce((sum, x) => sum + (x - mx) ** 2, 0);
  return Math.round(sxy / sxx);
};
const outageStart = inPhase("outage")[0]?.second ?? before;
const bridgeAtBound =
  server === "kafka"
    ? {
        bound: bridgeBound,
        maxInFlight,
        reachedAfterSeconds: (atBound[0]?.second ?? Number.NaN) - outageStart,
        secondsAtMax: atBound.length,
        inFlightBefore: Math.round(inFlightBefore),
        rss: { ...perHeld("rss"), slopeBytesPerMessage: slope("rss") },
        heapUsed: { ...perHeld("heapUsed"), slopeBytesPerMessage: slope("heapUsed") },
        rssPeakAfterMiB: mib(max(inPhase("after").map((s) => s.rss[bridge] ?? 0))),
        mosquittoStoredMax: max(samples.map((s) => s.mosquitto.stored)),
        // A held read would hold the broker's PINGRESP too, and cost the connection.
        mqttConnectionsLost: workers[bridge].output.filter((l) => l.includes("mqtt connection lost")).length,
      }
    : undefined;

const failed = max(samples.map((s) => s.failed[bridge] ?? 0));
const deadLetters = max(samples.map((s) => s.deadLetters[bridge] ?? 0));

const result = {
  date: new Date().toISOString(),
  server,
  rate,
  outageSeconds,
  published: total,
  acknowledged: published,
  stored,
  mosquittoDropped: dropped,
  backlogAtRestart: backlog,
  drainedAfterSeconds: drainedAfter ?? null,
  exits,
  workers: rows,
  worstMetricsGapMs: Object.fromEntries(
    Object.entries(worstGapMs).map(([name, gaps]) => [
      name,
      Object.fromEntries(Object.entries(gaps).map(([p, ms]) => [p, Math.round(ms)])),
    ]),
  ),
  ...(bridgeAtBound ? { bridgeAtBound: { ...bridgeAtBound, failed, deadLetters } } : {}),
  samples,
};
const stamp = result.date.replaceAll(":", "-");
const tag = server === "kafka" ? "outage-kafka" : "outage";
writeFileSync(join(repositoryRoot(), `bench/results/${tag}-${stamp}.json`), `${JSON.stringify(result, null, 2)}\n`);
const cameBackAs = server === "kafka" ? "Kafka" : "InfluxDB";
const drained =
  drainedAfter !== undefined
    ? `drained ${drainedAfter} s after ${cameBackAs} came back`
    : exits.length > 0
      ? "not drained: a worker exited"
      : "not drained within 300 s of the last publish";
const exitLines = exits.map(
  (e) =>
    `${e.name} exited at second ${e.second} (${e.second - outageStart} s after the outage began), code ${e.code}: ${e.fatal ?? "no reason logged"}`,
);
const cell = (n: number | undefined) => (n === undefined || !Number.isFinite(n) ? "–" : String(n));
const gap = (name: string, p: string) => cell(Math.round(worstGapMs[name]?.[p] ?? Number.NaN));
const workerTable = [
  "| worker | RSS before (MiB) | RSS peak during outage (MiB) | peak ÷ before | worst /metrics gap before, during, after (ms) |",
  "| --- | ---: | ---: | ---: | ---: |",
  ...rows.map(
    (r) =>
      `| ${r.name} | ${r.beforeMiB} | ${r.outagePeakMiB} | ${r.ratio} | ${gap(r.name, "before")}, ${gap(r.name, "outage")}, ${gap(r.name, "after")} |`,
  ),
];
const report = bridgeAtBound
  ? [
      `${outage.name} down for ${outageSeconds} s at ${rate} msg/s, the bridge on MQTT 5: ${stored} of ${published} messages stored afterwards (stored ÷ published ${Math.round((stored / published) * 1e4) / 1e4}), Mosquitto dropped ${dropped}, ${backlog} messages waited in the bridge and Mosquitto (Mosquitto's store held at most ${bridgeAtBound.mosquittoStoredMax}), ${drained}.`,
      ...(exitLines.length > 0 ? ["", ...exitLines] : []),
      "",
      `The bridge held at most ${maxInFlight} messages in flight (its bound: ${bridgeBound}), ${bridgeAtBound.reachedAfterSeconds} s into the outage, for ${bridgeAtBound.secondsAtMax} s. Its RSS: ${bridgeAtBound.rss.beforeMiB} MiB before, ${bridgeAtBound.rss.atBoundMiB} MiB at the bound, so **${bridgeAtBound.rss.bytesPerMessage} bytes per held message** ((at the bound − before) ÷ (${maxInFlight} − ${bridgeAtBound.inFlightBefore} in flight before)); heap used ${bridgeAtBound.heapUsed.beforeMiB} → ${bridgeAtBound.heapUsed.atBoundMiB} MiB, ${bridgeAtBound.heapUsed.bytesPerMessage} bytes per held message. Fitted over the ${filling.length} samples while it filled up: ${bridgeAtBound.rss.slopeBytesPerMessage} bytes of RSS and ${bridgeAtBound.heapUsed.slopeBytesPerMessage} bytes of heap per message in flight. Its RSS peaked at ${cell(bridgeAtBound.rssPeakAfterMiB)} MiB after Kafka came back; its MQTT connection dropped ${bridgeAtBound.mqttConnectionsLost} times; it counted ${failed} failed messages and ${deadLetters} dead letters.`,
      "",
      ...workerTable,
      "",
      "| second | phase | bridge in flight | bridge RSS (MiB) | bridge failed | Mosquitto store |",
      "| ---: | --- | ---: | ---: | ---: | ---: |",
      ...samples
        .filter((_, i) => i % 5 === 4)
        .map(
          (s) =>
            `| ${s.second} | ${s.phase} | ${cell(s.inFlight[bridge])} | ${cell(mib(s.rss[bridge] ?? Number.NaN))} | ${cell(s.failed[bridge])} | ${s.mosquitto.stored} |`,
        ),
    ]
  : [
      `${outage.name} down for ${outageSeconds} s at ${rate} msg/s: ${stored} of ${total} messages stored afterwards, ${backlog} messages waited in Kafka and Mosquitto, ${drained}.`,
      ...(exitLines.length > 0 ? ["", ...exitLines] : []),
      "",
      ...workerTable,
    ];
const text = report.join("\n");
writeFileSync(join(repositoryRoot(), `bench/results/${tag}-latest.md`), `${text}\n`);
console.log(text);
process.exit(stored >= total && dropped === 0 && exits.length === 0 ? 0 : 1);
