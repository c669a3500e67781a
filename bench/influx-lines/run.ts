/**
 * `pnpm bench:influx-lines [--rounds 3] [--batches 60]`
 *
 * What InfluxDB spends on a message of three readings (a counter, its speed, PM10)
 * written as one line per observation, as the influx-writer does for v1 and v2
 * records, against a record's observations of one point merged into one line
 * (`observationsToLines`, v3 records): the same points, two lines instead of three.
 * The real InfluxDB 1.6.7; influxd's CPU seconds read from /proc around each
 * variant, the two alternated per round, each into a fresh database.
 * Results: `bench/results/influx-lines-<time>.json` and `influx-lines-latest.md`.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { createDatabase, influxQL, observationsToLines, observationToLine } from "@stadtfluss/influx";
import type { Observation } from "@stadtfluss/schemas";
import { startInfluxDB } from "@stadtfluss/testing";
import { cpuSecondsOf } from "../end-to-end/process-usage.ts";

const { values } = parseArgs({
  options: {
    rounds: { type: "string", default: "3" },
    batches: { type: "string", default: "60" },
    out: { type: "string", default: join(import.meta.dirname, "../results") },
  },
});
const rounds = Number(values.rounds);
const batches = Number(values.batches);
/** Messages per write, as the writer's INFLUX_BATCH_SIZE default. */
const PER_BATCH = 5_000;
const DEVICES = 1_000;

/** One message's observations, as the normalizer makes them of the generic payload. */
function messageOf(i: number, at: number): Observation[] {
  const time = new Date(at).toISOString();
  const common = {
    tenant: "musterstadt",
    deviceId: `load-${String(i % DEVICES).padStart(4, "0")}`,
    observedAt: time,
    receivedAt: time,
    source: "city",
    seq: i,
    district: "Altstadt",
    privacy: "public",
  } as const;
  return [
    { ...common, kind: "traffic.vehicle_count", value: i % 50, unit: "{vehicle}" },
    { ...common, kind: "traffic.average_speed", value: 41.5, unit: "km/h" },
    { ...common, kind: "air.pm10", value: 12.3, unit: "ug/m3" },
  ];
}

const influx = await startInfluxDB();
const pid = influx.serverPid();
if (pid === undefined) throw new Error("influxd has no pid");
const variants = { separate: false, merged: true } as const;
const results: { round: number; variant: string; lines: number; messages: number; cpuSeconds: number }[] = [];
try {
  // A fixed start, a message per millisecond: the same points in every variant's database.
  const start = Date.UTC(2026, 0, 5);
  for (let round = 0; round < rounds; round++) {
    for (const [variant, merged] of Object.entries(variants)) {
      const database = `influx_lines_${round}_${variant}`;
      await createDatabase({ url: influx.url, database });
      const before = cpuSecondsOf(pid);
      let lines = 0;
      for (let b = 0; b < batches; b++) {
        const body: string[] = [];
        for (let i = 0; i < PER_BATCH; i++) {
          const n = b * PER_BATCH + i;
          const observations = messageOf(n, start + n);
          if (merged) for (const { line } of observationsToLines(observations)) body.push(line);
          else for (const observation of observations) body.push(observationToLine(observation));
        }
        lines += body.length;
        const answer = await fetch(`${influx.url}/api/v2/write?bucket=${database}&precision=ms`, {
          method: "POST",
          body: body.join("\n"),
        });
        if (answer.status !== 204) throw new Error(`write: ${answer.status} ${await answer.text()}`);
      }
      const cpuSeconds = cpuSecondsOf(pid) - before;
      const messages = batches * PER_BATCH;
      // Both hold the same points and values.
      const [series = []] = await influxQL(
        { url: influx.url, database },
        'SELECT count("vehicle_count"), count("average_speed") FROM "traffic"',
      );
      const counts = series[0]?.values[0]?.slice(1);
      if (counts?.[0] !== messages || counts?.[1] !== messages)
        throw new Error(`${variant}: stored ${JSON.stringify(counts)} of ${messages}`);
      results.push({ round, variant, lines, messages, cpuSeconds });
      process.stderr.write(`round ${round} ${variant}: ${lines} lines, influxd ${cpuSeconds.toFixed(2)} CPU s\n`);
    }
  }
} finally {
  await influx.stop();
}

const perMessage = (r: (typeof results)[number]) => (r.cpuSeconds / r.messages) * 1e6;
const ratios = Array.from({ length: rounds }, (_, round) => {
  const [separate, merged] = ["separate", "merged"].map((v) =>
    results.find((r) => r.round === round && r.variant === v),
  );
  return separate && merged ? perMessage(merged) / perMessage(separate) : Number.NaN;
});
const date = new Date().toISOString();
const file = `influx-lines-${date.replaceAll(":", "-")}.json`;
writeFileSync(
  join(values.out, file),
  `${JSON.stringify({ date, rounds, batches, perBatch: PER_BATCH, results }, null, 2)}\n`,
);
const md = [
  "# InfluxDB's CPU per message: a line per observation, or a point's observations in one line",
  "",
  `${date} (\`${file}\`): InfluxDB 1.6.7, ${(batches * PER_BATCH).toLocaleString("en")} messages of three readings per variant and round, ${PER_BATCH.toLocaleString("en")} per write, ${DEVICES.toLocaleString("en")} devices; influxd's CPU (user + system) from /proc. The variants alternate in each round; compare by the ratio.`,
  "",
  "| round | separate: lines, µs of influxd per message | merged: lines, µs per message | merged ÷ separate |",
  "| ---: | ---: | ---: | ---: |",
  ...ratios.map((ratio, round) => {
    const [s, m] = ["separate", "merged"].map((v) => results.find((r) => r.round === round && r.variant === v));
    return `| ${round + 1} | ${s?.lines.toLocaleString("en")}, ${s ? perMessage(s).toFixed(1) : "–"} | ${m?.lines.toLocaleString("en")}, ${m ? perMessage(m).toFixed(1) : "–"} | ${ratio.toFixed(2)} |`;
  }),
  "",
].join("\n");
writeFileSync(join(values.out, "influx-lines-latest.md"), md);
process.stdout.write(md);
