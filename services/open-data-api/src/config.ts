import { env } from "@stadtfluss/config";
import { ConfigError } from "@stadtfluss/errors";
import { type InfluxReadSettings, influxReadEnv } from "@stadtfluss/influx";
import { type DeviceRegistry, databaseName, loadRegistry } from "@stadtfluss/registry";
import { loadServiceConfig, opsEnv } from "@stadtfluss/telemetry";
import { z } from "zod";

/** What the catalog says about one tenant (DCAT-AP.de); every field optional but the ones a portal needs. */
const tenantCatalogSchema = z.strictObject({
  /** dct:spatial: the municipality key's IRI, `http://dcat-ap.de/def/politicalGeocoding/municipalityKey/<key>`. */
  spatial: z.url().optional(),
  /** dcatde:contributorID: the IRI the state portal or GovData gave the city. */
  contributorId: z.url().optional(),
  /** The publisher's web page (foaf:homepage). */
  homepage: z.url().optional(),
  /** The contact point's e-mail address (vcard:hasEmail); the declaration's contact where left out. */
  email: z.email().optional(),
  /** dcatde:licenseAttributionByText: how users must name the source. */
  attribution: z.string().min(1).optional(),
});
export type TenantCatalog = z.output<typeof tenantCatalogSchema>;

const openDataEnv = z.object({
  ...opsEnv.shape,
  INFLUX_URL: influxReadEnv.shape.INFLUX_URL,
  /** The open-data credential: it reads every tenant's `open` database and nothing else. */
  INFLUX_TOKEN: influxReadEnv.shape.INFLUX_TOKEN,
  /** The platform declaration (registry file or folder): its reader's tenants, the devices' locations. */
  OPEN_DATA_DECLARATION: env.text(),
  /** The declared reader whose `open` grants say which tenants are published. */
  OPEN_DATA_READER: env.text().default("open-data"),
  OPEN_DATA_API_HOST: env.text().default("0.0.0.0"),
  OPEN_DATA_API_PORT: env.port().default(8080),
  /** The address the API is reached at from outside: the catalog's IRIs and download URLs start with it. */
  OPEN_DATA_PUBLIC_URL: env.url(["http", "https"], { credentialsIn: "nowhere: it is published" }).optional(),
  /** The longest time range one observations request may ask for. */
  OPEN_DATA_MAX_RANGE: env.duration().default(366 * 86_400_000),
  /** The most observations one page may hold. */
  OPEN_DATA_MAX_PAGE: env.integer(1, 100_000).default(10_000),
  /** How far back the latest-value endpoint looks (a bound keeps `last` per series fast). */
  OPEN_DATA_LATEST_WINDOW: env.duration().default(7 * 86_400_000),
  /** How long browsers and caches may keep an answer. */
  OPEN_DATA_CACHE_SECONDS: env.integer(0, 86_400).default(300),
  /** Per tenant id: the catalog's spatial IRI, contributor id, homepage, e-mail, attribution text. */
  OPEN_DATA_CATALOG: env.json(z.record(z.string(), tenantCatalogSchema)).default({}),
});

export interface PublishedTenant {
  readonly id: string;
  readonly name: string;
  readonly kind: "municipality" | "utility";
  readonly contact?: string;
  /** `<tenant>_open`: the only database read for it. */
  readonly database: string;
  readonly catalog: TenantCatalog;
}

export interface OpenDataConfig {
  readonly influx: Omit<InfluxReadSettings, "database">;
  readonly tenants: ReadonlyMap<string, PublishedTenant>;
  readonly devices: DeviceRegistry;
  readonly http: { readonly host: string; readonly port: number };
  readonly publicUrl?: string;
  readonly maxRangeMs: number;
  readonly maxPage: number;
  readonly latestWindowMs: number;
  readonly cacheSeconds: number;
}

/** Every setting checked and the declaration loaded: a problem with either stops start-up (78). */
export function loadConfig(environment: Readonly<Record<string, string | undefined>>) {
  return loadServiceConfig(openDataEnv, environment, (parsed): OpenDataConfig => {
    let declaration: ReturnType<typeof loadRegistry>;
    try {
      declaration = loadRegistry(parsed.OPEN_DATA_DECLARATION);
    } catch (error) {
      if (error instanceof ConfigError)
        throw new ConfigError(error.problems.map((problem) => `OPEN_DATA_DECLARATION: ${problem}`));
      throw error;
    }
    const reader = declaration.readers.find((r) => r.name === parsed.OPEN_DATA_READER);
    if (!reader) throw new ConfigError([`OPEN_DATA_READER: ${parsed.OPEN_DATA_READER} is not a declared reader`]);
    const tenants = new Map<string, PublishedTenant>();
    for (const grant of reader.read) {
      if (grant.dataClass !== "open") continue;
      const tenant = declaration.tenants.find((t) => t.id === grant.tenant);
      if (!tenant) continue;
      tenants.set(tenant.id, {
        id: tenant.id,
        name: tenant.name,
        kind: tenant.kind,
        ...(tenant.contact ? { contact: tenant.contact } : {}),
        database: databaseName(tenant.id, "open"),
        catalog: parsed.OPEN_DATA_CATALOG[tenant.id] ?? {},
      });
    }
    const unknown = Object.keys(parsed.OPEN_DATA_CATALOG).filter((id) => !tenants.has(id));
    if (unknown.length > 0)
      throw new ConfigError(unknown.map((id) => `OPEN_DATA_CATALOG: ${id} is no tenant the reader publishes`));
    return {
      influx: { url: parsed.INFLUX_URL, ...(parsed.INFLUX_TOKEN ? { token: parsed.INFLUX_TOKEN } : {}) },
      tenants,
      devices: declaration.registry,
      http: { host: parsed.OPEN_DATA_API_HOST, port: parsed.OPEN_DATA_API_PORT },
      ...(parsed.OPEN_DATA_PUBLIC_URL ? { publicUrl: parsed.OPEN_DATA_PUBLIC_URL.replace(/\/$/, "") } : {}),
      maxRangeMs: parsed.OPEN_DATA_MAX_RANGE,
      maxPage: parsed.OPEN_DATA_MAX_PAGE,
      latestWindowMs: parsed.OPEN_DATA_LATEST_WINDOW,
      cacheSeconds: parsed.OPEN_DATA_CACHE_SECONDS,
    };
  });
}
