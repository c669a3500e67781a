/**
 * `pnpm --filter @stadtfluss/bench bench:meter-data [--meters 1000] [--days 30]`
 *
 * A month of quarter-hour load profiles for 1,000 meters as CSV from the
 * meter-data API, against the plain InfluxQL query of the same data in the same
 * run. One-minute register readings (import and export) are written to a
 * utility's `<tenant>_personal` database on the real InfluxDB 1.6.7 directly;
 * the API runs as its own process, so its peak resident memory (VmHWM) is its own.
 * The plain query is `last()` of each register per quarter-hour and meter: the
 * boundary values the API computes consumption from, without gaps, resets or
 * consumption, as InfluxDB's own CSV. Both are timed, with the resident memory of
 * the API and of influxd sampled meanwhile; the ratios are API ÷ plain query.
 * Results: `bench/results/meter-data-<time>.json` and `meter-data-latest.md`.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { createDatabase } from "@stadtfluss/influx";
import { databaseName } from "@stadtfluss/registry";
import { freePort, repositoryRoot, startInfluxDB, startWorker, uniqueName } from "@stadtfluss/testing";

const { values } = parseArgs({
  options: {
    meters: { type: "string", default: process.env.BENCH_METERS ?? "1000" },
    days: { type: "string", default: process.env.BENCH_DAYS ?? "30" },
    out: { type: "string" },
  },
});
const meters = Number(values.meters);
const days = Number(values.days);
const MINUTE = 60_000;
const DAY = 86_400_000;

const influx = await startInfluxDB();
const tenant = uniqueName("bench-sw");
const reader = `${tenant}-metering`;
const database = databaseName(tenant, "personal");
await createDatabase({ url: influx.url, database });

// Whole UTC days ending two days ago: local midnights are 22:00 or 23:00 UTC, so
// the period is given as instants on the quarter-hour grid.
const to = Math.floor(Date.now() / DAY) * DAY - 2 * DAY;
const from = to - days * DAY;
const ids = Array.from({ length: meters }, (_, i) => `meter-${String(i).padStart(5, "0")}`);

process.stderr.write(`writing ${meters} meters × ${days} days of one-minute readings...\n`);
const writeStarted = performance.now();
let lines: string[] = [];
const flush = async () => {
  if (lines.length === 0) return;
  const response = await fetch(`${influx.url}/write?db=${database}&precision=ms`, {
    method: "POST",
    body: lines.join("\n"),
  });
  if (response.status !== 204) throw new Error(`write answered ${response.status}: ${await response.text()}`);
  lines = [];
};
for (const [m, id] of ids.entries()) {
  let imported = 1000 + m;
  let exported = 0;
  for (let at = from - 5 * MINUTE; at <= to; at += MINUTE) {
    lines.push(
      `energy,device=${id},district=bench,privacy=personal,source=bench,tenant=${tenant} active_import=${imported.toFixed(4)},active_export=${exported.toFixed(4)} ${at}`,
    );
    const minute = (at - from) / MINUTE;
    imported += (0.2 + ((minute * 7 + m) % 11) / 10) / 60;
    exported += (minute % 3) / 600;
    if (lines.length >= 50_000) await flush();
  }
}
await flush();
const writeSeconds = (performance.now() - writeStarted) / 1000;

const dir = mkdtempSync(join(tmpdir(), "sf-bench-meter-"));
const declaration = join(dir, "platform.yaml");
writeFileSync(
  declaration,
  `tenants:\n  - id: ${tenant}\n    name: Bench\n    kind: utility\nreaders:\n  - name: ${reader}\n    read:\n      ${tenant}: [personal]\n`,
);
const tokensFile = join(dir, "tokens.json");
const token = execFileSync(
  process.execPath,
  [
    join(repositoryRoot(), "services/meter-data-api/src/token-command.ts"),
    "create",
    ...["--reader", reader, "--expires", "1d", "--declaration", declaration, "--tokens-file", tokensFile],
  ],
  { encoding: "utf8" },
).trim();
const port = await freePort();
const api = await startWorker("meter-data-api", {
  INFLUX_URL: influx.url,
  METER_DECLARATION: declaration,
  METER_TOKENS_FILE: tokensFile,
  METER_ACCESS_LOG_DIR: join(dir, "access"),
  METER_API_HOST: "127.0.0.1",
  METER_API_PORT: String(port),
  ...(process.env.BENCH_API_NODE_OPTIONS ? { NODE_OPTIONS: process.env.BENCH_API_NODE_OPTIONS } : {}),
});

/** Reads a response to its end without keeping it: bytes and lines. */
async function drain(response: Response): Promise<{ bytes: number; lines: number }> {
  let bytes = 0;
  let newlines = 0;
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    bytes += chunk.byteLength;
    for (const byte of chunk) if (byte === 10) newlines++;
  }
  return { bytes, lines: newlines };
}

const memoryKb = (pid: number | undefined, field: "VmRSS" | "VmHWM") =>
  pid === undefined
    ? Number.NaN
    : Number(new RegExp(`${field}:\\s+(\\d+)`).exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1]);

/**
 * Runs `work` while sampling the resident memory of the API and of influxd every
 * 50 ms: each one's level before and its peak during the work (MB).
 */
async function measured<T>(work: () => Promise<T>) {
  const pids = { api: api.process.pid, influxd: influx.serverPid() };
  const before = { api: memoryKb(pids.api, "VmRSS"), influxd: memoryKb(pids.influxd, "VmRSS") };
  const peak = { ...before };
  const sample = () => {
    for (const key of ["api", "influxd"] as const) peak[key] = Math.max(peak[key], memoryKb(pids[key], "VmRSS"));
  };
  const sampler = setInterval(sample, 50);
  const started = performance.now();
  try {
    const value = await work();
    const seconds = (performance.now() - started) / 1000;
    sample();
    const mb = (kb: number) => Math.round((kb / 1024) * 10) / 10;
    return {
      value,
      seconds,
      memory: {
        apiBeforeMb: mb(before.api),
        apiPeakMb: mb(peak.api),
        influxdBeforeMb: mb(before.influxd),
        influxdPeakMb: mb(peak.influxd),
      },
    };
  } finally {
    clearInterval(sampler);
  }
}

const period = `from=${new Date(from).toISOString()}&to=${new Date(to).toISOString()}`;
const viaApi = await measured(async () => {
  const answer = await fetch(
    `http://127.0.0.1:${port}/v1/load-profiles?district=bench&${period}&format=csv&dialect=de`,
    { headers: { authorization: `Bearer ${token}` } },
  );
  if (answer.status !== 200) throw new Error(`the API answered ${answer.status}: ${await answer.text()}`);
  return drain(answer);
});
// The API process's own high-water mark, which sampling could miss between two samples.
const apiHighWaterMb = memoryKb(api.process.pid, "VmHWM") / 1024;

// The same boundaries straight from InfluxDB, as CSV (InfluxDB's own, Accept: application/csv).
const query = `SELECT last("active_import") AS "import", last("active_export") AS "export" FROM "energy" WHERE time >= ${from}ms AND time <= ${to}ms GROUP BY time(15m), "device" fill(none)`;
const plain = await measured(async () => {
  const answer = await fetch(`${influx.url}/query?${new URLSearchParams({ db: database, q: query, epoch: "ms" })}`, {
    headers: { accept: "application/csv" },
  });
  if (answer.status !== 200) throw new Error(`InfluxDB answered ${answer.status}: ${await answer.text()}`);
  return { ...(await drain(answer)), contentType: answer.headers.get("content-type") ?? "" };
});
await api.stop();
await influx.stop();

const expectedRows = meters * days * 96;
const csvRows = viaApi.value.lines - 1;
const ratio = (a: number, b: number) => Math.round((a / b) * 100) / 100;
const result = {
  at: new Date().toISOString(),
  meters,
  days,
  full: meters >= 1000 && days >= 30,
  readingsWritten: meters * ((to - from) / MINUTE + 6),
  writeSeconds,
  api: {
    seconds: viaApi.seconds,
    csvBytes: viaApi.value.bytes,
    csvRows,
    expectedRows,
    ...viaApi.memory,
    apiHighWaterMb: Math.round(apiHighWaterMb * 10) / 10,
    nodeOptions: process.env.BENCH_API_NODE_OPTIONS ?? "",
  },
  plainInfluxQL: {
    seconds: plain.seconds,
    bytes: plain.value.bytes,
    rows: plain.value.lines - 1,
    contentType: plain.value.contentType,
    ...plain.memory,
  },
  ratios: {
    /** API time ÷ plain query time. */
    seconds: ratio(viaApi.seconds, plain.seconds),
    /** influxd's peak growth while serving the API ÷ while answering the plain query. */
    influxdGrowth: ratio(
      viaApi.memory.influxdPeakMb - viaApi.memory.influxdBeforeMb,
      plain.memory.influxdPeakMb - plain.memory.influxdBeforeMb,
    ),
    /** Output bytes: the API's CSV ÷ InfluxDB's CSV. */
    bytes: ratio(viaApi.value.bytes, plain.value.bytes),
  },
};
const resultsDir = join(repositoryRoot(), "bench/results");
const out = values.out ?? join(resultsDir, `meter-data-${result.at.replaceAll(":", "-")}.json`);
writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
const mb = (n: number) => `${n.toFixed(0)} MB`;
const report = [
  `# Meter data: ${meters} meters × ${days} days of quarter-hour load profiles as CSV`,
  "",
  `${result.at}; one-minute import and export registers (${result.readingsWritten} readings) written to InfluxDB 1.6.7 directly in ${writeSeconds.toFixed(0)} s.` +
    (result.full
      ? ""
      : ` A smaller size than the full 1,000 meters × 30 days (\`--meters ${meters} --days ${days}\`).`),
  "",
  "| | seconds | bytes | rows | API RSS before → peak | influxd RSS before → peak |",
  "| --- | ---: | ---: | ---: | --- | --- |",
  `| meter-data API (\`/v1/load-profiles?district=…&format=csv&dialect=de\`) | ${viaApi.seconds.toFixed(1)} | ${viaApi.value.bytes} | ${csvRows} | ${mb(viaApi.memory.apiBeforeMb)} → ${mb(viaApi.memory.apiPeakMb)} (high-water ${mb(apiHighWaterMb)}) | ${mb(viaApi.memory.influxdBeforeMb)} → ${mb(viaApi.memory.influxdPeakMb)} |`,
  `| plain InfluxQL (\`last()\` per quarter-hour and meter, InfluxDB's CSV) | ${plain.seconds.toFixed(1)} | ${plain.value.bytes} | ${plain.value.lines - 1} | | ${mb(plain.memory.influxdBeforeMb)} → ${mb(plain.memory.influxdPeakMb)} |`,
  "",
  `Ratios, API ÷ plain query: time ${result.ratios.seconds}, influxd's memory growth ${result.ratios.influxdGrowth}, bytes ${result.ratios.bytes}.`,
  `Rows: ${csvRows} of ${expectedRows} expected.${result.api.nodeOptions ? ` The API ran with NODE_OPTIONS=${result.api.nodeOptions}.` : ""}`,
  "",
].join("\n");
if (values.out === undefined) writeFileSync(join(resultsDir, "meter-data-latest.md"), report);
process.stdout.write(`${report}\nresults in ${out}\n`);
if (csvRows !== expectedRows) process.exitCode = 1;
