import fastifyCompress from "@fastify/compress";
import fastifyCors from "@fastify/cors";
import {
  badParameter,
  createHttpServer,
  csvFormat,
  csvLine,
  type FastifyBaseLogger,
  type FastifyReply,
  type HttpServer,
  notFound,
} from "@stadtfluss/http";
import type { Worker, WorkerHooks } from "@stadtfluss/telemetry";
import type { Counter } from "prom-client";
import { z } from "zod";
import { type CatalogDataset, type CatalogPublisher, catalogQuads } from "./catalog/dcat-catalog.ts";
import { toJsonLd, toTurtle } from "./catalog/serialize.ts";
import type { OpenDataConfig, PublishedTenant } from "./config.ts";
import { decodeCursor, encodeCursor } from "./datasets/cursor.ts";
import { type Observation, OpenStore, seriesKey, TAGS } from "./datasets/open-store.ts";
import { themeOf } from "./datasets/themes.ts";
import { catalogPage, type Language } from "./page/catalog-page.ts";

export interface OpenDataApiDependencies {
  readonly config: OpenDataConfig;
  readonly logger: FastifyBaseLogger;
  readonly requests?: Counter<"route" | "status">;
  /** The clock default time ranges are taken from; tests set it. */
  readonly now?: () => number;
}

const DAY_MS = 86_400_000;
const name = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, "must be lowercase letters, digits, - and _")
  .describe("a name as the dataset list gives it");
const datasetParams = z.object({
  tenant: name.describe("the publishing tenant (city or utility)"),
  dataset: name.describe("the dataset within the tenant: traffic, parking, air, water, energy"),
});
const formats = {
  format: z.enum(["json", "csv", "geojson"]).default("json").describe("geojson: one feature per observation"),
  dialect: z
    .enum(["rfc4180", "de"])
    .default("rfc4180")
    .describe("CSV only: de is semicolons and a decimal comma, as German spreadsheets expect"),
};
const tagFilters = {
  resolution: z
    .string()
    .regex(/^\d+[mhd]$/, "must be like 1h or 1d")
    .optional()
    .describe("1h, 1d (a window's length)"),
  district: z.string().min(1).max(128).optional().describe("only this district's aggregates"),
};

/**
 * The open-data API: each tenant's roll-ups (`<tenant>_open`, written by the
 * aggregator) as datasets, one per measurement, in JSON, CSV and GeoJSON, for
 * anyone: no token, public caching, CORS.
 */
export async function buildOpenDataApi(deps: OpenDataApiDependencies): Promise<HttpServer> {
  const { config } = deps;
  const now = deps.now ?? Date.now;
  const maxRangeDays = Math.round(config.maxRangeMs / DAY_MS);
  const app = await createHttpServer({
    title: "Stadtfluss open-data API",
    version: "1.0.0",
    description: [
      "Aggregated observations of the city's sensors (traffic, parking, air, water, household energy per district) as open data under the Datenlizenz Deutschland – Namensnennung – Version 2.0.",
      `Limits: one observations request covers at most ${maxRangeDays} days (\`to\` − \`from\`) and returns at most ${config.maxPage} observations per page (\`limit\`); follow \`next\` for the rest.`,
      `The latest values cover the last ${Math.round(config.latestWindowMs / DAY_MS)} days.`,
    ].join("\n\n"),
    logger: deps.logger,
    cacheControl: `public, max-age=${config.cacheSeconds}`,
  });
  await app.register(fastifyCors, { origin: "*", methods: ["GET", "HEAD"], exposedHeaders: ["Link", "ETag"] });
  await app.register(fastifyCompress, { global: true, encodings: ["gzip", "deflate"] });
  app.addHook("onResponse", async (request, reply) => {
    deps.requests?.inc({ route: request.routeOptions.url ?? "unknown", status: String(reply.statusCode) });
  });

  const stores = new Map([...config.tenants.values()].map((t) => [t.id, new OpenStore(config.influx, t.database)]));
  const base = (request: { protocol: string; host: string }) =>
    config.publicUrl ?? `${request.protocol}://${request.host}`;

  /** The tenant and its store, or 404 where the dataset is not published. */
  async function dataset(params: { tenant: string; dataset: string }) {
    const tenant = config.tenants.get(params.tenant);
    const store = stores.get(params.tenant);
    if (!tenant || !store || !(await store.measurements()).includes(params.dataset))
      throw notFound(`no dataset ${params.tenant}/${params.dataset}`);
    return { tenant, store, measurement: params.dataset };
  }

  async function describe(tenant: PublishedTenant, store: OpenStore, measurement: string, root: string) {
    const theme = themeOf(measurement);
    const path = `${root}/v1/datasets/${tenant.id}/${measurement}`;
    const [fields, resolutions, districts] = await Promise.all([
      store.fields(measurement),
      store.tagValues(measurement, "resolution"),
      store.tagValues(measurement, "district"),
    ]);
    return {
      id: `${tenant.id}/${measurement}`,
      tenant: tenant.id,
      publisher: tenant.name,
      measurement,
      title: theme.title,
      description: theme.description,
      fields,
      resolutions,
      districts,
      links: {
        self: path,
        observations: `${path}/observations`,
        csv: `${path}/observations?format=csv`,
        geojson: `${path}/observations?format=geojson`,
        latest: `${path}/latest`,
      },
    };
  }

  async function everyDataset(root: string) {
    const datasets = [];
    for (const tenant of config.tenants.values()) {
      const store = stores.get(tenant.id) as OpenStore;
      for (const measurement of await store.measurements())
        datasets.push(await describe(tenant, store, measurement, root));
    }
    return datasets;
  }

  app.get(
    "/v1/datasets",
    { schema: { summary: "Every published dataset: one per tenant and measurement" } },
    async (request) => ({ datasets: await everyDataset(base(request)) }),
  );

  app.get(
    "/",
    {
      schema: {
        summary: "The catalog page for people: datasets, downloads and charts, in German or English",
        querystring: z.object({
          lang: z.enum(["de", "en"]).optional().describe("default: from Accept-Language, else de"),
        }),
      },
    },
    async (request, reply) => {
      const language: Language = request.query.lang ?? preferredLanguage(request.headers["accept-language"]);
      const datasets = (await everyDataset(base(request))).map((d) => ({
        ...d,
        theme: themeOf(d.measurement),
      }));
      return reply
        .type("text/html; charset=utf-8")
        .header("vary", "Accept-Language")
        .send(catalogPage(language, datasets, now()));
    },
  );

  app.get(
    "/v1/datasets/:tenant/:dataset",
    { schema: { summary: "One dataset: its fields, resolutions, districts and links", params: datasetParams } },
    async (request) => {
      const { tenant, store, measurement } = await dataset(request.params);
      return describe(tenant, store, measurement, base(request));
    },
  );

  app.get(
    "/v1/datasets/:tenant/:dataset/observations",
    {
      schema: {
        summary: "A dataset's aggregates in a time range, oldest first, a page at a time",
        description: `The range [from, to) is at most ${maxRangeDays} days; a page holds at most ${config.maxPage} observations. The answer's \`next\` (and the Link header) is the URL of the next page, absent on the last.`,
        params: datasetParams,
        querystring: z.object({
          from: z.iso
            .datetime({ offset: true })
            .optional()
            .describe("start (inclusive), an instant with offset; default: 7 days before `to`"),
          to: z.iso.datetime({ offset: true }).optional().describe("end (exclusive); default: now"),
          ...tagFilters,
          device: z.string().min(1).max(128).optional().describe("only this device's aggregates"),
          limit: z.coerce
            .number()
            .int()
            .min(1)
            .max(config.maxPage)
            .default(Math.min(1000, config.maxPage))
            .describe(`observations per page, at most ${config.maxPage}`),
          cursor: z.string().max(200).optional().describe("from the previous page's `next`"),
          ...formats,
        }),
      },
    },
    async (request, reply) => {
      const query = request.query;
      const to = query.to === undefined ? now() : Date.parse(query.to);
      const from = query.from === undefined ? to - 7 * DAY_MS : Date.parse(query.from);
      if (to <= from) throw badParameter("to", "must be after from");
      if (to - from > config.maxRangeMs) throw badParameter("to", `the range is longer than ${maxRangeDays} days`);
      const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
      if (query.cursor !== undefined && (after === undefined || after.time < from || after.time >= to))
        throw badParameter("cursor", "is not a cursor of this range");
      const { tenant, store, measurement } = await dataset(request.params);
      const { observations: page, next: cursor } = await store.observations(measurement, {
        from,
        to,
        limit: query.limit,
        ...(query.resolution ? { resolution: query.resolution } : {}),
        ...(query.district ? { district: query.district } : {}),
        ...(query.device ? { device: query.device } : {}),
        ...(after ? { after } : {}),
      });
      let next: string | undefined;
      if (cursor) {
        const url = new URL(`${base(request)}${request.url}`);
        url.searchParams.set("from", new Date(from).toISOString());
        url.searchParams.set("to", new Date(to).toISOString());
        url.searchParams.set("cursor", encodeCursor(cursor));
        next = url.toString();
        reply.header("link", `<${next}>; rel="next"`);
      }
      const head = { dataset: `${tenant.id}/${measurement}`, from: iso(from), to: iso(to) };
      return send(reply, query, tenant, measurement, store, page, head, next);
    },
  );

  app.get(
    "/v1/datasets/:tenant/:dataset/latest",
    {
      schema: {
        summary: "The latest aggregate of every device and district: for maps",
        description: `Looks back ${Math.round(config.latestWindowMs / DAY_MS)} days; a device or district without an aggregate in that time is left out.`,
        params: datasetParams,
        querystring: z.object({ ...tagFilters, ...formats }),
      },
    },
    async (request, reply) => {
      const { tenant, store, measurement } = await dataset(request.params);
      const query = request.query;
      const since = now() - config.latestWindowMs;
      const latest = await store.latest(measurement, {
        since,
        ...(query.resolution ? { resolution: query.resolution } : {}),
        ...(query.district ? { district: query.district } : {}),
      });
      latest.sort((a, b) => (seriesKey(a) < seriesKey(b) ? -1 : 1));
      return send(reply, query, tenant, measurement, store, latest, { dataset: `${tenant.id}/${measurement}` });
    },
  );

  app.get(
    "/catalog.ttl",
    {
      schema: {
        summary: "The DCAT-AP.de 3.0 catalog as Turtle: what a state portal or GovData harvests",
        querystring: catalogQuery,
      },
    },
    async (request, reply) =>
      reply.type("text/turtle; charset=utf-8").send(toTurtle(await catalog(base(request), request.query.tenant))),
  );
  app.get(
    "/catalog.jsonld",
    { schema: { summary: "The DCAT-AP.de 3.0 catalog as JSON-LD", querystring: catalogQuery } },
    async (request, reply) =>
      reply.type("application/ld+json").send(toJsonLd(await catalog(base(request), request.query.tenant))),
  );

  /** The catalog of every published tenant, or of one (what that city registers with its portal). */
  async function catalog(root: string, only: string | undefined) {
    if (only !== undefined && !config.tenants.has(only)) throw notFound(`no tenant ${only}`);
    const tenants = [...config.tenants.values()].filter((t) => only === undefined || t.id === only);
    const datasets: CatalogDataset[] = [];
    for (const tenant of tenants) {
      const store = stores.get(tenant.id) as OpenStore;
      for (const measurement of await store.measurements()) {
        const [fields, resolutions] = await Promise.all([
          store.fields(measurement),
          store.tagValues(measurement, "resolution"),
        ]);
        const extent = fields[0] === undefined ? undefined : await store.extent(measurement, fields[0]);
        datasets.push({
          publisher: publisherOf(tenant),
          measurement,
          theme: themeOf(measurement),
          resolutions,
          ...(extent ? { extent } : {}),
        });
      }
    }
    // The whole catalog is published by the first municipality, a tenant's by the tenant.
    const owner = tenants.find((t) => t.kind === "municipality") ?? tenants[0];
    const publisher: CatalogPublisher = owner ? publisherOf(owner) : { id: "stadtfluss", name: "Stadtfluss" };
    return catalogQuads({
      root,
      title: {
        de: only === undefined ? "Offene Daten" : `Offene Daten: ${publisher.name}`,
        en: only === undefined ? "Open data" : `Open data: ${publisher.name}`,
      },
      publisher,
      datasets,
    });
  }

  /** Observations as the format asks: JSON rows, CSV with the dataset's fields as columns, or GeoJSON. */
  async function send(
    reply: FastifyReply,
    query: { format: "json" | "csv" | "geojson"; dialect: "rfc4180" | "de" },
    tenant: PublishedTenant,
    measurement: string,
    store: OpenStore,
    observations: readonly Observation[],
    head: Record<string, string>,
    next?: string,
  ) {
    if (query.format === "csv") {
      const format = csvFormat(query.dialect);
      const fields = await store.fields(measurement);
      const lines = [csvLine(["time", ...TAGS, ...fields], format)];
      for (const o of observations)
        lines.push(
          csvLine([iso(o.time), ...TAGS.map((t) => o.tags[t]), ...fields.map((f) => o.fields[f] ?? null)], format),
        );
      return reply
        .type("text/csv; charset=utf-8")
        .header("content-disposition", `inline; filename="${tenant.id}-${measurement}.csv"`)
        .send(lines.join(""));
    }
    if (query.format === "geojson") {
      return reply.type("application/geo+json").send({
        type: "FeatureCollection",
        ...head,
        features: observations.map((o) => {
          const location = o.tags.device ? config.devices.device(tenant.id, o.tags.device)?.location : undefined;
          return {
            type: "Feature",
            // RFC 7946: longitude first; a district's aggregate has no point of its own.
            geometry: location ? { type: "Point", coordinates: [location.lon, location.lat] } : null,
            properties: row(o),
          };
        }),
        ...(next ? { next } : {}),
      });
    }
    return reply.send({ ...head, observations: observations.map(row), ...(next ? { next } : {}) });
  }

  return app;
}

const iso = (t: number) => new Date(t).toISOString();
/** The first of de and en in Accept-Language (weights ignored: browsers list in order), else de. */
function preferredLanguage(header: string | undefined): Language {
  for (const range of (header ?? "").split(",")) {
    const primary = range.trim().slice(0, 2).toLowerCase();
    if (primary === "de" || primary === "en") return primary;
  }
  return "de";
}

const catalogQuery = z.object({
  tenant: name.optional().describe("only this tenant's datasets: the catalog a city registers with its portal"),
});

function publisherOf(tenant: PublishedTenant): CatalogPublisher {
  const { catalog } = tenant;
  // The declaration's contact is an e-mail address where it is one.
  const email =
    catalog.email ?? (tenant.contact && /^[^@\s]+@[^@\s]+$/.test(tenant.contact) ? tenant.contact : undefined);
  return {
    id: tenant.id,
    name: tenant.name,
    ...(email ? { email } : {}),
    ...(catalog.homepage ? { homepage: catalog.homepage } : {}),
    ...(catalog.spatial ? { spatial: catalog.spatial } : {}),
    ...(catalog.contributorId ? { contributorId: catalog.contributorId } : {}),
    ...(catalog.attribution ? { attribution: catalog.attribution } : {}),
  };
}
const row = (o: Observation) => ({ time: iso(o.time), ...o.tags, ...o.fields });

/** The API as a worker for runService: listens on start, closes on stop. */
export class OpenDataApi implements Worker {
  readonly #deps: OpenDataApiDependencies;
  #app: HttpServer | undefined;
  #ready = false;
  port = 0;

  constructor(deps: OpenDataApiDependencies) {
    this.#deps = deps;
  }

  async start(_hooks: WorkerHooks): Promise<void> {
    this.#app = await buildOpenDataApi(this.#deps);
    await this.#app.listen({ host: this.#deps.config.http.host, port: this.#deps.config.http.port });
    const address = this.#app.server.address();
    this.port = typeof address === "object" && address ? address.port : this.#deps.config.http.port;
    this.#ready = true;
  }

  async stop(): Promise<void> {
    this.#ready = false;
    await this.#app?.close();
  }

  isReady(): boolean {
    return this.#ready;
  }
}
