/**
 * `pnpm bench:outage`: how much memory the workers hold while InfluxDB is down.
 *
 * Publishes at a steady rate, stops InfluxDB for a minute, starts it again and
 * samples each worker's resident memory every second. The figure is the peak
 * during the outage against each worker's own level just before it (a ratio,
 * measured in the same run), plus the backlog Kafka held instead.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { influxQL } from "@stadtfluss/influx";
import { publishNumbered, repositoryRoot, startLocalServers, startWorker, uniqueName } from "@stadtfluss/testing";

const rate = Number(process.env.OUTAGE_RATE ?? 1_000);
const outageSeconds = Number(process.env.OUTAGE_SECONDS ?? 60);
const before = 20;
const after = 40;

const servers = await startLocalServers({ queues: "stadtfluss" });
const id = uniqueName("outage");
const database = id.replaceAll("-", "_");
await fetch(`${servers.influx.url}/query`, {
  method: "POST",
  body: new URLSearchParams({ q: `CREATE DATABASE "${database}"` }),
});
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

const rss = async (url: string) => {
  const text = await fetch(`${url}/metrics`).then(
    (r) => r.text(),
    () => "",
  );
  return Number(/^stadtfluss_process_resident_memory_bytes(?:\{[^}]*\})? (\d+)/m.exec(text)?.[1] ?? Number.NaN);
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
const samples: { second: number; phase: string; rss: Record<string, number> }[] = [];
const started = Date.now();
let phase = "before";
const sampler = setInterval(async () => {
  const second = Math.round((Date.now() - started) / 1000);
  const entries = await Promise.all(
    Object.entries(workers).map(async ([name, w]) => [name, await rss(w.opsUrl)] as const),
  );
  samples.push({ second, phase, rss: Object.fromEntries(entries) });
}, 1_000);

await sleep(before * 1000);
phase = "outage";
const storedAtStop = await storedCount();
await servers.influx.stopServer();
await sleep(outageSeconds * 1000);
// What Kafka and Mosquitto held instead of the writer: published by the end of
// the outage and not in InfluxDB when it stopped.
const backlog = Math.round((Date.now() - started) / 1000) * rate - storedAtStop;
phase = "after";
await servers.influx.startServer();
await load;
const deadline = Date.now() + 300_000;
let stored = 0;
while (Date.now() < deadline) {
  stored = await storedCount();
  if (stored >= total) break;
  await sleep(1_000);
}
const drainedAfter = Math.round((Date.now() - started) / 1000) - before - outageSeconds;
clearInterval(sampler);
await Promise.all(Object.values(workers).map((w) => w.stop()));
await servers.stop();

const mib = (bytes: number) => Math.round((bytes / 2 ** 20) * 10) / 10;
const rows = Object.keys(workers).map((name) => {
  const level = Math.max(...samples.filter((s) => s.phase === "before" && s.second > 5).map((s) => s.rss[name] ?? 0));
  const peak = Math.max(...samples.filter((s) => s.phase === "outage").map((s) => s.rss[name] ?? 0));
  return { name, beforeMiB: mib(level), outagePeakMiB: mib(peak), ratio: Math.round((peak / level) * 100) / 100 };
});
const result = {
  date: new Date().toISOString(),
  rate,
  outageSeconds,
  published: total,
  stored,
  backlogAtRestart: backlog,
  drainedAfterSeconds: drainedAfter,
  workers: rows,
  samples,
};
const stamp = result.date.replaceAll(":", "-");
writeFileSync(join(repositoryRoot(), `bench/results/outage-${stamp}.json`), `${JSON.stringify(result, null, 2)}\n`);
const table = [
  `InfluxDB down for ${outageSeconds} s at ${rate} msg/s: ${stored} of ${total} messages stored afterwards, ${backlog} messages waited in Kafka and Mosquitto, drained ${drainedAfter} s after InfluxDB came back.`,
  "",
  "| worker | RSS before (MiB) | RSS peak during outage (MiB) | peak ÷ before |",
  "| --- | ---: | ---: | ---: |",
  ...rows.map((r) => `| ${r.name} | ${r.beforeMiB} | ${r.outagePeakMiB} | ${r.ratio} |`),
].join("\n");
writeFileSync(join(repositoryRoot(), "bench/results/outage-latest.md"), `${table}\n`);
console.log(table);
process.exit(stored >= total ? 0 : 1);
