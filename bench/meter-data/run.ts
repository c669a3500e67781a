/**
 * `pnpm --filter @stadtfluss/bench bench:meter-data [--meters 1000] [--days 30]`
 *
 * A month of quarter-hour load profiles for 1,000 meters as CSV from the
 * meter-data API, against the plain InfluxQL query of the same data in the same
 * run. One-minute register readings (import and export) are written to a
 * utility's `<tenant>_personal` database on the real InfluxDB 1.6.7 directly;
 * the API runs as its own process, so its peak resident memory (VmHWM) is its own.
 * The plain query is `last()` of each register per quarter-hour and meter: the
 * boundary values the API computes consumption from, without gaps, resets or CSV.
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

const memoryKb = (field: "VmRSS" | "VmHWM") =>
  Number(new RegExp(`${field}:\\s+(\\d+)`).exec(readFileSync(`/proc/${api.process.pid}/status`, "utf8"))?.[1]);

const rssBefore = memoryKb("VmRSS");
const period = `from=${new Date(from).toISOString()}&to=${new Date(to).toISOString()}`;
const apiStarted = performance.now();
const answer = await fetch(`http://127.0.0.1:${port}/v1/load-profiles?district=bench&${period}&format=csv&dialect=de`, {
  headers: { authorization: `Bearer ${token}` },
});
if (answer.status !== 200) throw new Error(`the API answered ${answer.status}: ${await answer.text()}`);
const csv = await drain(answer);
const apiSeconds = (performance.now() - apiStarted) / 1000;
const apiPeakKb = memoryKb("VmHWM");
await api.stop();

const query = `SELECT last("active_import") AS "import", last("active_export") AS "export" FROM "energy" WHERE time >= ${from}ms AND time <= ${to}ms GROUP BY time(15m), "device" fill(none)`;
const plainStarted = performance.now();
const plain = await fetch(`${influx.url}/query?${new URLSearchParams({ db: database, q: query, epoch: "ms" })}`);
const plainBody = await drain(plain);
const plainSeconds = (performance.now() - plainStarted) / 1000;
await influx.stop();

const expectedRows = meters * days * 96;
const result = {
  at: new Date().toISOString(),
  meters,
  days,
  readingsWritten: meters * ((to - from) / MINUTE + 6),
  writeSeconds,
  api: {
    seconds: apiSeconds,
    csvBytes: csv.bytes,
    csvRows: csv.lines - 1,
    expectedRows,
    rssBeforeMb: rssBefore / 1024,
    peakRssMb: apiPeakKb / 1024,
  },
  plainInfluxQL: { seconds: plainSeconds, jsonBytes: plainBody.bytes, status: plain.status },
};
const out = values.out ?? join(repositoryRoot(), "bench/results", `meter-data-${result.at.replaceAll(":", "-")}.json`);
writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
process.stdout.write(
  [
    `| ${meters} meters × ${days} days, 15-minute CSV | seconds | bytes | peak RSS |`,
    "| --- | --- | --- | --- |",
    `| meter-data API (\`/v1/load-profiles?district=…&format=csv\`) | ${apiSeconds.toFixed(1)} | ${csv.bytes} | ${(apiPeakKb / 1024).toFixed(0)} MB (${(rssBefore / 1024).toFixed(0)} MB before) |`,
    `| plain InfluxQL (\`last()\` per quarter-hour and meter, JSON) | ${plainSeconds.toFixed(1)} | ${plainBody.bytes} | |`,
    "",
    `rows: ${csv.lines - 1} of ${expectedRows} expected; written in ${writeSeconds.toFixed(0)} s; results in ${out}`,
    "",
  ].join("\n"),
);
if (csv.lines - 1 !== expectedRows) process.exitCode = 1;
