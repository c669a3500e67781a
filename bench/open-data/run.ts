/**
 * `pnpm bench:open-data [--hours 8760] [--devices 10000] [--repeat 5]`
 *
 * The open-data API against the plain InfluxQL query of the same data, in the same
 * run, on the real InfluxDB 1.6.7: a year of hourly aggregates of one device of the
 * `traffic` dataset (JSON in pages, and CSV), and the latest value of every one of
 * 10,000 devices (the map endpoint). The aggregates are written to the tenant's
 * `<tenant>_open` database directly, as the aggregator writes them: a year of
 * history is older than the normalizer's time window, so it cannot come through the
 * pipeline. The API runs as its own process, started afresh for each scenario, so its
 * peak resident memory (VmHWM) is that scenario's.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { createDatabase } from "@stadtfluss/influx";
import { databaseName } from "@stadtfluss/registry";
import { freePort, repositoryRoot, startInfluxDB, startWorker, uniqueName } from "@stadtfluss/testing";

const { values } = parseArgs({
  options: {
    hours: { type: "string", default: process.env.BENCH_HOURS ?? "8760" },
    devices: { type: "string", default: process.env.BENCH_DEVICES ?? "10000" },
    "latest-hours": { type: "string", default: process.env.BENCH_LATEST_HOURS ?? "24" },
    repeat: { type: "string", default: process.env.BENCH_REPEAT ?? "5" },
    out: { type: "string" },
  },
});
const hours = Number(values.hours);
const devices = Number(values.devices);
const latestHours = Number(values["latest-hours"]);
const repeat = Math.max(1, Number(values.repeat));
const HOUR = 3_600_000;
const DISTRICTS = ["Altstadt", "Neustadt", "Westend", "Ostvorstadt", "Südvorstadt"];

const influx = await startInfluxDB();
const tenant = uniqueName("bench-od");
const database = databaseName(tenant, "open");
await createDatabase({ url: influx.url, database });

// Whole hours up to the last one that ended: the latest values lie inside the API's 7-day window.
const to = Math.floor(Date.now() / HOUR) * HOUR;
const from = to - hours * HOUR;
const ids = Array.from({ length: devices }, (_, i) => `counter-${String(i).padStart(5, "0")}`);
const YEAR_DEVICE = ids[0] ?? "counter-00000";

process.stderr.write(`writing ${hours} hours of one device and ${latestHours} hours of ${devices} devices...\n`);
const writeStarted = performance.now();
let lines: string[] = [];
let written = 0;
const flush = async () => {
  if (lines.length === 0) return;
  const response = await fetch(`${influx.url}/write?db=${database}&precision=ms`, {
    method: "POST",
    body: lines.join("\n"),
  });
  if (response.status !== 204) throw new Error(`write answered ${response.status}: ${await response.text()}`);
  written += lines.length;
  lines = [];
};
const point = (device: string, d: number, hour: number) =>
  `traffic,device=${device},district=${DISTRICTS[d % DISTRICTS.length]},resolution=1h,scope=device vehicle_count_sum=${(hour * 7 + d) % 900}i,average_speed_mean=${30 + ((hour + d) % 200) / 10},average_speed_max=${50 + ((hour + d) % 30)} ${to - (hour + 1) * HOUR}`;
for (let hour = 0; hour < hours; hour++) {
  lines.push(point(YEAR_DEVICE, 0, hour));
  if (lines.length >= 20_000) await flush();
}
for (const [d, device] of ids.entries()) {
  if (device === YEAR_DEVICE) continue;
  for (let hour = 0; hour < Math.min(latestHours, hours); hour++) lines.push(point(device, d, hour));
  if (lines.length >= 20_000) await flush();
}
await flush();
const writeSeconds = (performance.now() - writeStarted) / 1000;

const dir = mkdtempSync(join(tmpdir(), "sf-bench-open-data-"));
const declaration = join(dir, "platform.yaml");
writeFileSync(
  declaration,
  `tenants:\n  - { id: ${tenant}, name: Bench, kind: municipality }\nreaders:\n  - { name: open-data, read: { "*": [open] } }\n`,
);

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

const median = (xs: readonly number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
};

interface Measured {
  /** The first request, then the median of the others (or of all, with one). */
  readonly coldSeconds: number;
  readonly medianSeconds: number;
  readonly bytes: number;
  readonly rows: number;
}

async function measure(request: () => Promise<{ bytes: number; rows: number }>): Promise<Measured> {
  const seconds: number[] = [];
  let last = { bytes: 0, rows: 0 };
  for (let i = 0; i < repeat; i++) {
    const started = performance.now();
    last = await request();
    seconds.push((performance.now() - started) / 1000);
  }
  const [cold = Number.NaN, ...warm] = seconds;
  return { coldSeconds: cold, medianSeconds: median(warm.length > 0 ? warm : seconds), ...last };
}

/** The API in a process of its own for one scenario: its time, and its resident memory before and at its peak. */
async function withApi(run: (base: string) => Promise<Measured>) {
  const port = await freePort();
  const api = await startWorker("open-data-api", {
    INFLUX_URL: influx.url,
    OPEN_DATA_DECLARATION: declaration,
    OPEN_DATA_API_HOST: "127.0.0.1",
    OPEN_DATA_API_PORT: String(port),
    OPEN_DATA_MAX_RANGE: `${Math.max(366, Math.ceil(hours / 24) + 1)}d`,
    ...(process.env.BENCH_API_NODE_OPTIONS ? { NODE_OPTIONS: process.env.BENCH_API_NODE_OPTIONS } : {}),
  });
  const memoryKb = (field: "VmRSS" | "VmHWM") =>
    Number(new RegExp(`${field}:\\s+(\\d+)`).exec(readFileSync(`/proc/${api.process.pid}/status`, "utf8"))?.[1]);
  try {
    const rssBeforeMb = memoryKb("VmRSS") / 1024;
    const measured = await run(`http://127.0.0.1:${port}`);
    return { ...measured, rssBeforeMb, peakRssMb: memoryKb("VmHWM") / 1024 };
  } finally {
    await api.stop();
  }
}

// The same encoding for both sides: what is measured is the work, not the compression.
const plainHeaders = { "accept-encoding": "identity" };

/** Every page of a JSON observations query, following `next`. */
async function allPages(url: string): Promise<{ bytes: number; rows: number }> {
  let bytes = 0;
  let rows = 0;
  let next: string | undefined = url;
  while (next !== undefined) {
    const response: Response = await fetch(next, { headers: plainHeaders });
    if (response.status !== 200) throw new Error(`the API answered ${response.status}: ${await response.text()}`);
    const text = await response.text();
    bytes += Buffer.byteLength(text);
    const body = JSON.parse(text) as { observations: unknown[]; next?: string };
    rows += body.observations.length;
    next = body.next;
  }
  return { bytes, rows };
}

async function plain(q: string): Promise<{ bytes: number; rows: number }> {
  const response = await fetch(`${influx.url}/query?${new URLSearchParams({ db: database, q, epoch: "ms" })}`, {
    headers: plainHeaders,
  });
  if (response.status !== 200) throw new Error(`InfluxDB answered ${response.status}: ${await response.text()}`);
  const text = await response.text();
  const body = JSON.parse(text) as { results: Array<{ series?: Array<{ values: unknown[] }> }> };
  const rows = (body.results[0]?.series ?? []).reduce((n, s) => n + s.values.length, 0);
  return { bytes: Buffer.byteLength(text), rows };
}

const period = `from=${new Date(from).toISOString()}&to=${new Date(to).toISOString()}`;
const dataset = `/v1/datasets/${tenant}/traffic`;
process.stderr.write("a year of one device: API JSON, API CSV, plain InfluxQL...\n");
const yearJson = await withApi((base) =>
  measure(() => allPages(`${base}${dataset}/observations?${period}&resolution=1h&device=${YEAR_DEVICE}&limit=10000`)),
);
const yearCsv = await withApi((base) =>
  measure(async () => {
    const response = await fetch(
      `${base}${dataset}/observations?${period}&resolution=1h&device=${YEAR_DEVICE}&format=csv&limit=10000`,
      { headers: plainHeaders },
    );
    if (response.status !== 200) throw new Error(`the API answered ${response.status}`);
    const { bytes, lines: n } = await drain(response);
    return { bytes, rows: n - 1 };
  }),
);
const yearPlain = await measure(() =>
  plain(
    `SELECT * FROM "traffic" WHERE "resolution" = '1h' AND "device" = '${YEAR_DEVICE}' AND time >= ${from}ms AND time < ${to}ms`,
  ),
);

process.stderr.write(`the latest value of ${devices} devices: API, plain InfluxQL...\n`);
const latestApi = await withApi((base) =>
  measure(async () => {
    const response = await fetch(`${base}${dataset}/latest`, { headers: plainHeaders });
    if (response.status !== 200) throw new Error(`the API answered ${response.status}: ${await response.text()}`);
    const text = await response.text();
    const body = JSON.parse(text) as { observations: unknown[] };
    return { bytes: Buffer.byteLength(text), rows: body.observations.length };
  }),
);
// The statement the API runs itself (a week back, one point per series), without its shaping and JSON.
const latestPlain = await measure(() =>
  plain(`SELECT * FROM "traffic" WHERE time >= ${to - 7 * 24 * HOUR}ms GROUP BY * ORDER BY time DESC LIMIT 1`),
);
await influx.stop();

const ratio = (a: Measured, b: Measured) => a.medianSeconds / b.medianSeconds;
const result = {
  at: new Date().toISOString(),
  hours,
  devices,
  latestHours,
  repeat,
  pointsWritten: written,
  writeSeconds,
  yearOfOneDevice: {
    apiJson: yearJson,
    apiCsv: yearCsv,
    plainInfluxQL: yearPlain,
    ratioJson: ratio(yearJson, yearPlain),
    ratioCsv: ratio(yearCsv, yearPlain),
  },
  latestOfEveryDevice: { api: latestApi, plainInfluxQL: latestPlain, ratio: ratio(latestApi, latestPlain) },
};
const out = values.out ?? join(repositoryRoot(), "bench/results", `open-data-${result.at.replaceAll(":", "-")}.json`);
writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);

const s = (x: number) => x.toFixed(3);
const mb = (x: number) => `${x.toFixed(0)} MB`;
const row = (name: string, m: Measured & { peakRssMb?: number; rssBeforeMb?: number }, vs?: Measured) =>
  `| ${name} | ${m.rows} | ${m.bytes} | ${s(m.coldSeconds)} | ${s(m.medianSeconds)} | ${vs ? `${(m.medianSeconds / vs.medianSeconds).toFixed(1)}×` : ""} | ${m.peakRssMb === undefined ? "" : `${mb(m.peakRssMb)} (${mb(m.rssBeforeMb ?? 0)} before)`} |`;
process.stdout.write(
  [
    `| ${hours} hours of one device; latest of ${devices} devices | rows | bytes | first s | median s | ÷ plain | API peak RSS |`,
    "| --- | --- | --- | --- | --- | --- | --- |",
    row("API JSON (pages of 10,000)", yearJson, yearPlain),
    row("API CSV", yearCsv, yearPlain),
    row("plain InfluxQL (JSON)", yearPlain),
    row("API `/latest`", latestApi, latestPlain),
    row("plain InfluxQL (`GROUP BY * ... LIMIT 1`)", latestPlain),
    "",
    `${written} points written in ${writeSeconds.toFixed(0)} s; ${repeat} requests each; results in ${out}`,
    "",
  ].join("\n"),
);
// Both sides must have answered with the same data, or the times compare nothing.
if (yearJson.rows !== hours || yearCsv.rows !== hours || yearPlain.rows !== hours) process.exitCode = 1;
if (latestApi.rows < devices || latestPlain.rows < devices) process.exitCode = 1;
