import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer, request as httpRequest, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { createDatabase, dropDatabase } from "@stadtfluss/influx";
import { databaseName } from "@stadtfluss/registry";
import { freePort, startWorker, uniqueName, type WorkerProcess } from "@stadtfluss/testing";
import { Parser } from "n3";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { shapeProblems, shapesDir } from "./catalog/shacl-validation.ts";

const servers = inject("servers");
const HOUR = 3_600_000;

// Two cities; the API publishes both through its reader's `open` grants.
const cityA = uniqueName("odc-a");
const cityB = uniqueName("odc-b");
// Six whole hours ending two hours before the run: every aggregate lies in the past.
const first = Math.floor(Date.now() / HOUR) * HOUR - 8 * HOUR;
const hours = Array.from({ length: 6 }, (_, i) => first + i * HOUR);
const devices = [
  { id: "count-1", district: "Altstadt", lat: 51.05, lon: 13.73 },
  { id: "count-2", district: "Neustadt", lat: 51.06, lon: 13.74 },
];
const vehicles = (device: number, hour: number) => 100 + 10 * device + hour;

/** The aggregator's points for city A: per device and per district, hourly, and one day. */
function trafficLines(): string[] {
  const lines: string[] = [];
  for (const [h, at] of hours.entries()) {
    for (const [d, device] of devices.entries())
      lines.push(
        `traffic,device=${device.id},district=${device.district},resolution=1h,scope=device vehicle_count_sum=${vehicles(d, h)},average_speed_mean=${30 + d + h / 10} ${at}`,
      );
    lines.push(`traffic,district=Altstadt,resolution=1h,scope=district vehicle_count_sum=${vehicles(0, h)} ${at}`);
  }
  lines.push(`traffic,district=Altstadt,resolution=1d,scope=district vehicle_count_sum=999 ${first}`);
  return lines;
}

async function write(database: string, lines: string[]): Promise<void> {
  await createDatabase({ url: servers.influxUrl, database });
  const response = await fetch(`${servers.influxUrl}/write?db=${database}&precision=ms`, {
    method: "POST",
    body: lines.join("\n"),
  });
  expect(response.status).toBe(204);
}

/** Passes every request on to InfluxDB and keeps the database each one named. */
async function recordingFront(): Promise<{ url: string; databases: string[]; server: Server }> {
  const upstream = new URL(servers.influxUrl);
  const databases: string[] = [];
  const server = createServer((request, response) => {
    const url = new URL(request.url ?? "/", "http://front");
    databases.push(url.searchParams.get("db") ?? "");
    const forward = httpRequest(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: request.method,
        path: request.url,
        headers: request.headers,
      },
      (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(response);
      },
    );
    request.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, databases, server };
}

// biome-ignore lint/suspicious/noExplicitAny: an answer's shape is what the assertions check
type Json = any;

describe("open-data API over the real InfluxDB", () => {
  const dir = mkdtempSync(join(tmpdir(), "sf-open-data-"));
  const declaration = join(dir, "platform.yaml");
  let api: WorkerProcess;
  let front: Awaited<ReturnType<typeof recordingFront>>;
  let base: string;
  const get = (path: string, headers: Record<string, string> = {}) => fetch(`${base}${path}`, { headers });
  const range = `from=${new Date(first).toISOString()}&to=${new Date(first + 6 * HOUR).toISOString()}`;

  beforeAll(async () => {
    writeFileSync(
      declaration,
      [
        "tenants:",
        ...[cityA, cityB].flatMap((id) => [`  - id: ${id}`, `    name: Stadt ${id}`, "    kind: municipality"]),
        "readers:",
        "  - name: open-data",
        '    read: { "*": [open] }',
        "devices:",
        ...devices.flatMap((d) => [
          `  - id: ${d.id}`,
          `    tenant: ${cityA}`,
          `    location: { lat: ${d.lat}, lon: ${d.lon} }`,
          `    district: ${d.district}`,
          "    privacy: public",
        ]),
      ].join("\n"),
    );
    await Promise.all([
      write(databaseName(cityA, "open"), trafficLines()),
      write(databaseName(cityB, "open"), [`air,device=air-1,resolution=1h,scope=device pm10_mean=12.5 ${first}`]),
      // Raw data beside it: the API must never read it.
      write(databaseName(cityA, "public"), [`traffic,device=count-1 vehicle_count=7 ${first}`]),
    ]);
    front = await recordingFront();
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    api = await startWorker("open-data-api", {
      INFLUX_URL: front.url,
      OPEN_DATA_DECLARATION: declaration,
      OPEN_DATA_API_HOST: "127.0.0.1",
      OPEN_DATA_API_PORT: String(port),
      OPEN_DATA_CATALOG: JSON.stringify({
        [cityA]: {
          // Entries of the published vocabularies (cited in catalog/shacl-validation.ts).
          spatial: "http://dcat-ap.de/def/politicalGeocoding/municipalityKey/01054015",
          contributorId: "http://dcat-ap.de/def/contributors/transparenzportalHamburg",
          email: "opendata@musterstadt.example",
        },
      }),
    });
  });

  afterAll(async () => {
    await api?.stop();
    front?.server.close();
    await Promise.allSettled(
      [databaseName(cityA, "open"), databaseName(cityB, "open"), databaseName(cityA, "public")].map((database) =>
        dropDatabase({ url: servers.influxUrl, database }),
      ),
    );
  });

  it("lists one dataset per tenant and measurement, with its fields and links", async () => {
    const { datasets } = (await (await get("/v1/datasets")).json()) as Json;
    const ours = datasets.filter((d: Json) => d.tenant === cityA || d.tenant === cityB);
    expect(ours.map((d: Json) => d.id).sort()).toEqual([`${cityA}/traffic`, `${cityB}/air`].sort());
    const traffic = ours.find((d: Json) => d.id === `${cityA}/traffic`);
    expect(traffic.fields).toEqual(["average_speed_mean", "vehicle_count_sum"]);
    expect(traffic.resolutions).toEqual(["1d", "1h"]);
    expect(traffic.districts).toEqual(["Altstadt", "Neustadt"]);
    expect(traffic.links.csv).toBe(`${base}/v1/datasets/${cityA}/traffic/observations?format=csv`);
  });

  it("JSON observations of a device are the aggregates written, oldest first", async () => {
    const response = await get(`/v1/datasets/${cityA}/traffic/observations?${range}&resolution=1h&device=count-2`);
    expect(response.status).toBe(200);
    expect(response.headers.get("cache-control")).toMatch(/^public, max-age=\d+$/);
    expect(response.headers.get("etag")).toMatch(/^W\//);
    const body = (await response.json()) as Json;
    expect(body.observations).toEqual(
      hours.map((at, h) => ({
        time: new Date(at).toISOString(),
        resolution: "1h",
        scope: "device",
        device: "count-2",
        district: "Neustadt",
        vehicle_count_sum: vehicles(1, h),
        average_speed_mean: 31 + h / 10,
      })),
    );
    expect(body.next).toBeUndefined();
  });

  // 3 observations an hour: pages end inside an hour's rows, and (limit 1, 2) inside them again.
  it.each([
    [1, 18],
    [2, 9],
    [4, 5],
    [7, 3],
  ])(
    "pages through every observation with the cursor at %i a page, none twice and none lost",
    async (limit, expectedPages) => {
      const seen: Json[] = [];
      let next: string | undefined =
        `${base}/v1/datasets/${cityA}/traffic/observations?${range}&resolution=1h&limit=${limit}`;
      let pages = 0;
      while (next !== undefined) {
        const response: Response = await fetch(next);
        expect(response.status).toBe(200);
        const body = (await response.json()) as Json;
        expect(body.observations.length).toBeLessThanOrEqual(limit);
        if (body.next) expect(response.headers.get("link")).toBe(`<${body.next}>; rel="next"`);
        seen.push(...body.observations);
        next = body.next;
        pages++;
      }
      expect(pages).toBe(expectedPages);
      expect(seen).toHaveLength(18);
      const keys = seen.map((o) => `${o.time}/${o.scope}/${o.device ?? o.district}`);
      expect(new Set(keys).size).toBe(18);
      expect(seen.map((o) => Date.parse(o.time))).toEqual(
        [...seen.map((o) => Date.parse(o.time))].sort((a, b) => a - b),
      );
    },
  );

  it("CSV holds the same rows as JSON, with the dataset's fields as columns; the German dialect too", async () => {
    const query = `${range}&resolution=1h&district=Altstadt`;
    const rows = ((await (await get(`/v1/datasets/${cityA}/traffic/observations?${query}`)).json()) as Json)
      .observations;
    const response = await get(`/v1/datasets/${cityA}/traffic/observations?${query}&format=csv`);
    expect(response.headers.get("content-type")).toBe("text/csv; charset=utf-8");
    const lines = (await response.text()).trimEnd().split("\r\n");
    expect(lines[0]).toBe("time,resolution,scope,device,district,average_speed_mean,vehicle_count_sum");
    expect(lines.slice(1)).toEqual(
      rows.map((o: Json) =>
        [
          o.time,
          o.resolution,
          o.scope,
          o.device ?? "",
          o.district,
          o.average_speed_mean ?? "",
          o.vehicle_count_sum,
        ].join(","),
      ),
    );
    const german = await (
      await get(`/v1/datasets/${cityA}/traffic/observations?${query}&format=csv&dialect=de`)
    ).text();
    expect(german.split("\r\n")[1]).toBe(
      `${new Date(first).toISOString()};1h;device;count-1;Altstadt;30;${vehicles(0, 0)}`,
    );
    expect(german.split("\r\n")[2]).toBe(`${new Date(first).toISOString()};1h;district;;Altstadt;;${vehicles(0, 0)}`);
  });

  it("GeoJSON places each device's observation at its registered location; a district's has no point", async () => {
    const response = await get(`/v1/datasets/${cityA}/traffic/observations?${range}&resolution=1h&format=geojson`);
    expect(response.headers.get("content-type")).toMatch(/^application\/geo\+json/);
    const collection = (await response.json()) as Json;
    expect(collection.type).toBe("FeatureCollection");
    expect(collection.features).toHaveLength(18);
    for (const feature of collection.features) {
      const device = devices.find((d) => d.id === feature.properties.device);
      expect(feature.geometry).toEqual(device ? { type: "Point", coordinates: [device.lon, device.lat] } : null);
    }
  });

  it("the latest values give one feature per device and district, at its last hour", async () => {
    const collection = (await (
      await get(`/v1/datasets/${cityA}/traffic/latest?resolution=1h&format=geojson`)
    ).json()) as Json;
    const last = new Date(hours.at(-1) as number).toISOString();
    // Devices before districts (scope `device` sorts first), each by name.
    expect(
      collection.features.map((f: Json) => [f.properties.device ?? f.properties.district, f.properties.time]),
    ).toEqual([
      ["count-1", last],
      ["count-2", last],
      ["Altstadt", last],
    ]);
    const byDevice = Object.fromEntries(collection.features.map((f: Json) => [f.properties.device, f.properties]));
    expect(byDevice["count-2"].vehicle_count_sum).toBe(vehicles(1, 5));
  });

  it("answers gzip, CORS, and 304 for a known ETag", async () => {
    const url = `/v1/datasets/${cityA}/traffic/observations?${range}`;
    const gz = await new Promise<{ encoding: string | undefined; body: Buffer }>((resolve, reject) => {
      httpRequest(`${base}${url}`, { headers: { "accept-encoding": "gzip" } }, (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (c: Buffer) => chunks.push(c));
        response.on("end", () =>
          resolve({ encoding: response.headers["content-encoding"], body: Buffer.concat(chunks) }),
        );
      })
        .on("error", reject)
        .end();
    });
    expect(gz.encoding).toBe("gzip");
    expect(JSON.parse(gunzipSync(gz.body).toString()).observations).toHaveLength(19);
    const plain = await get(url, { origin: "https://example.org" });
    expect(plain.headers.get("access-control-allow-origin")).toBe("*");
    const again = await get(url, { "if-none-match": plain.headers.get("etag") as string });
    expect(again.status).toBe(304);
  });

  it("a bad parameter answers 400 naming it; an unknown dataset 404", async () => {
    const problem = async (path: string, status: number) => {
      const response = await get(path);
      expect(response.status).toBe(status);
      expect(response.headers.get("content-type")).toMatch(/^application\/problem\+json/);
      return (await response.json()) as Json;
    };
    const obs = `/v1/datasets/${cityA}/traffic/observations`;
    expect((await problem(`${obs}?from=yesterday`, 400))["invalid-params"][0].name).toBe("from");
    expect((await problem(`${obs}?limit=100001`, 400))["invalid-params"][0].name).toBe("limit");
    expect((await problem(`${obs}?format=xml`, 400))["invalid-params"][0].name).toBe("format");
    expect((await problem(`${obs}?${range}&cursor=bogus`, 400))["invalid-params"][0].name).toBe("cursor");
    const tooLong = `from=2020-01-01T00:00:00Z&to=2022-01-01T00:00:00Z`;
    expect((await problem(`${obs}?${tooLong}`, 400))["invalid-params"][0]).toMatchObject({ name: "to" });
    expect((await problem(`/v1/datasets/${cityA}/weather/observations`, 404)).detail).toBe(
      `no dataset ${cityA}/weather`,
    );
    expect((await problem(`/v1/datasets/nowhere/traffic`, 404)).status).toBe(404);
  });

  it("the OpenAPI description states the limits on time range and page size", async () => {
    const document = (await (await get("/openapi.json")).json()) as Json;
    const operation = document.paths["/v1/datasets/{tenant}/{dataset}/observations"].get;
    expect(operation.description).toContain("at most 366 days");
    const limit = operation.parameters.find((p: Json) => p.name === "limit");
    expect(limit.schema.maximum).toBe(10_000);
  });

  it("the catalog describes each dataset with its temporal coverage and downloads that work", async () => {
    const response = await get(`/catalog.ttl?tenant=${cityA}`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/turtle; charset=utf-8");
    const quads = new Parser().parse(await response.text());
    const dataset = `${base}/v1/datasets/${cityA}/traffic`;
    const objects = (subject: string, predicate: string) =>
      quads.filter((q) => q.subject.value === subject && q.predicate.value === predicate).map((q) => q.object);
    const [temporal] = objects(dataset, "http://purl.org/dc/terms/temporal");
    if (!temporal) throw new Error("the dataset has no dct:temporal");
    const dates = (p: string) =>
      quads.filter((q) => q.subject.equals(temporal) && q.predicate.value === p).map((q) => q.object.value);
    expect(dates("http://www.w3.org/ns/dcat#startDate")).toEqual([new Date(first).toISOString()]);
    expect(dates("http://www.w3.org/ns/dcat#endDate")).toEqual([new Date(hours.at(-1) as number).toISOString()]);
    expect(objects(dataset, "http://purl.org/dc/terms/accrualPeriodicity").map((o) => o.value)).toEqual([
      "http://publications.europa.eu/resource/authority/frequency/HOURLY",
    ]);
    // Only city A's: city B registers its own.
    expect(quads.some((q) => q.subject.value.includes(cityB))).toBe(false);
    const downloads = objects(`${dataset}#csv`, "http://www.w3.org/ns/dcat#downloadURL");
    expect(downloads).toHaveLength(1);
    const csv = await fetch(downloads[0]?.value as string);
    expect(csv.status).toBe(200);
    expect(await csv.text()).toMatch(/^time,resolution,scope,device,district,/);
  });

  it.skipIf(!shapesDir)("the served catalog has no violation and no warning of GovData's shapes", async () => {
    expect(await shapeProblems(await (await get(`/catalog.ttl?tenant=${cityA}`)).text())).toEqual([]);
  });

  it("serves the same catalog as JSON-LD; an unknown tenant's is a 404", async () => {
    const response = await get("/catalog.jsonld");
    expect(response.headers.get("content-type")).toMatch(/^application\/ld\+json/);
    const document = (await response.json()) as Json;
    const ids = document["@graph"].map((node: Json) => node["@id"]);
    expect(ids).toEqual(
      expect.arrayContaining([`${base}/v1/datasets/${cityA}/traffic`, `${base}/v1/datasets/${cityB}/air`]),
    );
    expect((await get("/catalog.ttl?tenant=nowhere")).status).toBe(404);
  });

  it("reads only the tenants' open databases", async () => {
    expect(front.databases.length).toBeGreaterThan(0);
    expect(front.databases.filter((db) => db !== "" && !db.endsWith("_open"))).toEqual([]);
    expect(front.databases).toContain(databaseName(cityA, "open"));
  });
});
