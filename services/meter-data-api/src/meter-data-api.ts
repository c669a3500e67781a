import {
  badParameter,
  bearerToken,
  type CsvFormat,
  createHttpServer,
  csvFormat,
  csvLine,
  type FastifyBaseLogger,
  type FastifyRequest,
  type HttpServer,
  jsonArrayDocument,
  notFound,
  sendStream,
  unauthorized,
} from "@stadtfluss/http";
import type { Worker, WorkerHooks } from "@stadtfluss/telemetry";

import type { Counter } from "prom-client";
import { z } from "zod";
import type { AccessEntry, AccessLog } from "./access/access-log.ts";
import { TokenChecker, type TokenFile } from "./access/token-store.ts";
import type { UtilityReader } from "./access/utility-readers.ts";
import type { MeterApiConfig } from "./config.ts";
import { type LoadProfileRow, type MeterProfile, meterProfile } from "./load-profile/meter-profile.ts";
import {
  intervalBoundaries,
  localTime,
  onGrid,
  periodInstant,
  RESOLUTION_MS,
  type Resolution,
} from "./load-profile/period.ts";
import { thinReadings } from "./load-profile/register-profile.ts";
import { MeterStore } from "./meters/meter-store.ts";
import { PHASE_FIELDS, unitOf } from "./meters/registers.ts";

export interface MeterDataApiDependencies {
  readonly config: MeterApiConfig;
  readonly tokens: TokenFile;
  readonly accessLog: AccessLog;
  readonly logger: FastifyBaseLogger;
  readonly requests?: Counter<"route" | "status">;
  /** The clock tokens expire by; tests set it. */
  readonly now?: () => Date;
}

/** Who is asking: the reader its token belongs to. */
interface Caller extends UtilityReader {
  readonly tokenId: string;
}

const meterId = z.string().min(1).max(128).describe("the meter's device id");
const period = {
  from: z.string().describe("start: a local date (2026-03-29, its midnight) or an instant with offset"),
  to: z.string().describe("end, exclusive: a local date or an instant with offset"),
};
const output = {
  format: z.enum(["json", "csv"]).default("json"),
  dialect: z
    .enum(["rfc4180", "de"])
    .default("rfc4180")
    .describe("CSV only: de is semicolons and a decimal comma, as German utility tools expect"),
};
const resolution = z.enum(["15m", "1h"]).default("15m");

/** Meters read by one query per day in a group request. */
const GROUP_BATCH = 25;

const LOAD_PROFILE_HEADER = ["meter", "start", "end", "import_kwh", "import_status", "export_kwh", "export_status"];

/**
 * The meter-data API: a utility's own meters in detail, reached with its API
 * token and only in its own `<tenant>_personal` database. Every request that a
 * token opens is written to the reader's access log before any data goes out.
 */
export async function buildMeterDataApi(deps: MeterDataApiDependencies): Promise<HttpServer> {
  const { config, accessLog } = deps;
  const now = deps.now ?? (() => new Date());
  const callers = new WeakMap<FastifyRequest, Caller>();
  const checker = new TokenChecker();
  const app = await createHttpServer({
    title: "Stadtfluss meter-data API",
    version: "1.0.0",
    description:
      "Load profiles, totals, latest readings and phase quantities of a utility's own meters. Every request is written to the utility's access log.",
    logger: deps.logger,
    bearerAuth: true,
    // Household data: no shared cache may keep it, and no browser either.
    cacheControl: "private, no-store",
  });

  app.addHook("onRequest", async (request) => {
    if (!request.url.startsWith("/v1/")) return;
    const token = bearerToken(request.headers.authorization);
    if (token === undefined) throw unauthorized("an Authorization: Bearer token is required");
    const records = deps.tokens.records((error) =>
      request.log.error({ err: error }, "tokens file could not be read again, keeping the last one"),
    );
    const check = await checker.check(records, token, now());
    if (!check.ok) {
      // The reason, never the token.
      request.log.info({ reason: check.reason }, "token refused");
      throw unauthorized(check.reason === "expired" ? "the token has expired" : "the token is not valid");
    }
    const reader = config.readers.get(check.record.reader);
    if (!reader) {
      request.log.warn({ tokenId: check.record.id, reader: check.record.reader }, "token of an undeclared reader");
      throw unauthorized("the token's reader is no longer declared");
    }
    callers.set(request, { ...reader, tokenId: check.record.id });
  });
  app.addHook("onResponse", async (request, reply) => {
    deps.requests?.inc({ route: request.routeOptions.url ?? "unknown", status: String(reply.statusCode) });
  });

  const callerOf = (request: FastifyRequest): Caller => {
    const caller = callers.get(request);
    if (!caller) throw unauthorized("an Authorization: Bearer token is required");
    return caller;
  };
  const storeOf = (caller: Caller) => new MeterStore(config.influx, caller.database);

  async function record(
    request: FastifyRequest,
    caller: Caller,
    access: Pick<AccessEntry, "meters" | "status"> & Partial<Pick<AccessEntry, "district" | "from" | "to">>,
  ): Promise<void> {
    await accessLog.append({
      at: now().toISOString(),
      reader: caller.reader,
      tokenId: caller.tokenId,
      method: request.method,
      path: request.url.split("?")[0] ?? request.url,
      ...access,
      requestId: request.id,
    });
  }

  /** The meter, or a 404 (recorded) when the caller's database has no such meter. */
  async function ownMeter(request: FastifyRequest, caller: Caller, meter: string, when: PeriodWindow | undefined) {
    const store = storeOf(caller);
    if (!(await store.existing([meter])).has(meter)) {
      await record(request, caller, { meters: [meter], status: 404, ...when?.logged });
      // The same answer whether the meter belongs to another utility or to nobody.
      throw notFound(`no meter ${meter}`);
    }
    await record(request, caller, { meters: [meter], status: 200, ...when?.logged });
    return store;
  }

  function window(query: { from: string; to: string }, grid: Resolution): PeriodWindow {
    const from = periodInstant(query.from, config.timeZone);
    if (from === undefined) throw badParameter("from", "must be a date (2026-03-29) or an instant with offset");
    const to = periodInstant(query.to, config.timeZone);
    if (to === undefined) throw badParameter("to", "must be a date (2026-03-30) or an instant with offset");
    if (to <= from) throw badParameter("to", "must be after from");
    if (to - from > config.maxPeriodMs) throw badParameter("to", "the period is longer than METER_MAX_PERIOD allows");
    if (!onGrid(from, grid, config.timeZone)) throw badParameter("from", `must be on a whole ${grid} boundary`);
    if (!onGrid(to, grid, config.timeZone)) throw badParameter("to", `must be on a whole ${grid} boundary`);
    return {
      from,
      to,
      boundaries: intervalBoundaries(from, to, grid),
      logged: { from: new Date(from).toISOString(), to: new Date(to).toISOString() },
    };
  }

  /** The profiles of `meters`, computed from one read of all their readings. */
  async function profilesOf(store: MeterStore, meters: readonly string[], when: PeriodWindow) {
    const readings = await store.registerReadings(meters, when.from - config.toleranceMs, when.to, (chunk) =>
      thinReadings(chunk, when.boundaries, config.maxPowerKw),
    );
    return meters.map((meter) => ({
      meter,
      profile: meterProfile(readings.get(meter) ?? new Map(), when.boundaries, config),
    }));
  }
  const profileOf = async (store: MeterStore, meter: string, when: PeriodWindow): Promise<MeterProfile> =>
    ((await profilesOf(store, [meter], when))[0] as { profile: MeterProfile }).profile;

  const profileJson = (meter: string, profile: MeterProfile) => ({
    meter,
    intervals: profile.rows.map((row) => ({
      ...row,
      start: localTime(row.start, config.timeZone),
      end: localTime(row.end, config.timeZone),
    })),
    events: profile.events.map((event) => ({ ...event, at: localTime(event.at, config.timeZone) })),
    totals: profile.totals,
  });
  const profileCsv = (meter: string, rows: readonly LoadProfileRow[], format: CsvFormat) =>
    rows.map((row) =>
      csvLine(
        [
          meter,
          localTime(row.start, config.timeZone),
          localTime(row.end, config.timeZone),
          row.import,
          row.importStatus,
          row.export,
          row.exportStatus,
        ],
        format,
      ),
    );
  const head = (when: PeriodWindow, grid: Resolution) => ({
    timeZone: config.timeZone,
    resolution: grid,
    from: localTime(when.from, config.timeZone),
    to: localTime(when.to, config.timeZone),
    unit: unitOf("active_import"),
  });

  app.get(
    "/v1/meters/:meter/load-profile",
    {
      schema: {
        summary: "A meter's consumption per interval, import and export apart",
        params: z.object({ meter: meterId }),
        querystring: z.object({ ...period, resolution, ...output }),
      },
    },
    async (request, reply) => {
      const caller = callerOf(request);
      const { meter } = request.params;
      const when = window(request.query, request.query.resolution);
      const store = await ownMeter(request, caller, meter, when);
      const profile = await profileOf(store, meter, when);
      if (request.query.format === "csv") {
        const format = csvFormat(request.query.dialect);
        return reply
          .type("text/csv; charset=utf-8")
          .send([csvLine(LOAD_PROFILE_HEADER, format), ...profileCsv(meter, profile.rows, format)].join(""));
      }
      return reply.send({ ...head(when, request.query.resolution), ...profileJson(meter, profile) });
    },
  );

  app.get(
    "/v1/meters/:meter/totals",
    {
      schema: {
        summary: "A meter's consumption per register (total and tariff registers) over a period",
        params: z.object({ meter: meterId }),
        querystring: z.object({ ...period, ...output }),
      },
    },
    async (request, reply) => {
      const caller = callerOf(request);
      const { meter } = request.params;
      const when = window(request.query, "15m");
      const store = await ownMeter(request, caller, meter, when);
      const profile = await profileOf(store, meter, when);
      const registers = Object.entries(profile.totals).map(([register, total]) => ({
        register,
        unit: unitOf(register),
        consumption: total.consumption,
        intervals: total.intervals,
        missingIntervals: total.missing,
        complete: total.missing === 0,
      }));
      if (request.query.format === "csv") {
        const format = csvFormat(request.query.dialect);
        const header = ["meter", "register", "unit", "consumption", "intervals", "missing_intervals", "complete"];
        return reply
          .type("text/csv; charset=utf-8")
          .send(
            [
              csvLine(header, format),
              ...registers.map((r) =>
                csvLine(
                  [meter, r.register, r.unit, r.consumption, r.intervals, r.missingIntervals, r.complete],
                  format,
                ),
              ),
            ].join(""),
          );
      }
      return reply.send({
        meter,
        timeZone: config.timeZone,
        from: localTime(when.from, config.timeZone),
        to: localTime(when.to, config.timeZone),
        registers,
        events: profile.events.map((event) => ({ ...event, at: localTime(event.at, config.timeZone) })),
      });
    },
  );

  app.get(
    "/v1/meters/:meter/latest",
    {
      schema: {
        summary: "A meter's last reading of each register and phase quantity",
        params: z.object({ meter: meterId }),
        querystring: z.object(output),
      },
    },
    async (request, reply) => {
      const caller = callerOf(request);
      const { meter } = request.params;
      const store = await ownMeter(request, caller, meter, undefined);
      const readings = (await store.latest(meter)).map((r) => ({
        field: r.field,
        unit: unitOf(r.field),
        at: new Date(r.at).toISOString(),
        value: r.value,
      }));
      if (request.query.format === "csv") {
        const format = csvFormat(request.query.dialect);
        return reply
          .type("text/csv; charset=utf-8")
          .send(
            [
              csvLine(["meter", "field", "unit", "at", "value"], format),
              ...readings.map((r) => csvLine([meter, r.field, r.unit, r.at, r.value], format)),
            ].join(""),
          );
      }
      return reply.send({ meter, readings });
    },
  );

  app.get(
    "/v1/meters/:meter/phases",
    {
      schema: {
        summary: "Voltage and current per phase: mean, minimum and maximum per interval",
        params: z.object({ meter: meterId }),
        querystring: z.object({ ...period, resolution, ...output }),
      },
    },
    async (request, reply) => {
      const caller = callerOf(request);
      const { meter } = request.params;
      const grid = request.query.resolution;
      const when = window(request.query, grid);
      const store = await ownMeter(request, caller, meter, when);
      const rows = await store.phases(meter, when.from, when.to, RESOLUTION_MS[grid]);
      const columns = PHASE_FIELDS.flatMap((field) => ["mean", "min", "max"].map((fn) => `${field}_${fn}`));
      const intervals = rows.map((row) => ({
        start: localTime(row.start, config.timeZone),
        end: localTime(row.start + RESOLUTION_MS[grid], config.timeZone),
        ...Object.fromEntries(columns.map((c) => [c, row.values[c] ?? null])),
      }));
      if (request.query.format === "csv") {
        const format = csvFormat(request.query.dialect);
        return reply
          .type("text/csv; charset=utf-8")
          .send(
            [
              csvLine(["meter", "start", "end", ...columns], format),
              ...intervals.map((i) =>
                csvLine(
                  [meter, i.start, i.end, ...columns.map((c) => (i as Record<string, unknown>)[c] as number | null)],
                  format,
                ),
              ),
            ].join(""),
          );
      }
      return reply.send({
        meter,
        timeZone: config.timeZone,
        resolution: grid,
        units: Object.fromEntries(PHASE_FIELDS.map((field) => [field, unitOf(field)])),
        intervals,
      });
    },
  );

  app.get(
    "/v1/load-profiles",
    {
      schema: {
        summary: "Load profiles of a group of meters (a district or a list), streamed meter by meter",
        querystring: z.object({
          district: z.string().min(1).optional().describe("every meter of this district"),
          meters: z.string().min(1).optional().describe("a comma-separated list of meter ids"),
          ...period,
          resolution,
          ...output,
        }),
      },
    },
    async (request, reply) => {
      const caller = callerOf(request);
      const { district, meters: list, format: kind, dialect } = request.query;
      if ((district === undefined) === (list === undefined))
        throw badParameter("district", "give either district or meters, not both or neither");
      const grid = request.query.resolution;
      const when = window(request.query, grid);
      const store = storeOf(caller);
      let meters: string[];
      if (list !== undefined) {
        meters = [
          ...new Set(
            list
              .split(",")
              .map((id) => id.trim())
              .filter((id) => id.length > 0),
          ),
        ];
        if (meters.length === 0) throw badParameter("meters", "must name at least one meter");
        const known = await store.existing(meters);
        const unknown = meters.find((id) => !known.has(id));
        if (unknown !== undefined) {
          await record(request, caller, { meters, status: 404, ...when.logged });
          throw notFound(`no meter ${unknown}`);
        }
      } else {
        meters = await store.ofDistrict(district as string);
      }
      await record(request, caller, {
        meters,
        status: 200,
        ...(district === undefined ? {} : { district }),
        ...when.logged,
      });
      // A few meters at a time, each batch sent before the next is read: memory stays at one
      // batch's thinned readings, whatever the group's size.
      async function* profiles() {
        const batch = (i: number) => profilesOf(store, meters.slice(i, i + GROUP_BATCH), when);
        // The next batch is read while this one is sent: InfluxDB and the client work at once.
        let next = meters.length > 0 ? batch(0) : undefined;
        for (let i = 0; next !== undefined; i += GROUP_BATCH) {
          const current = await next;
          next = i + GROUP_BATCH < meters.length ? batch(i + GROUP_BATCH) : undefined;
          // A failed read ahead surfaces when it is awaited, not as an unhandled rejection.
          next?.catch(() => {});
          yield* current;
        }
      }
      if (kind === "csv") {
        const csv = csvFormat(dialect);
        return sendStream(
          reply,
          "text/csv; charset=utf-8",
          (async function* () {
            yield csvLine(LOAD_PROFILE_HEADER, csv);
            for await (const { meter, profile } of profiles()) yield profileCsv(meter, profile.rows, csv).join("");
          })(),
        );
      }
      return sendStream(
        reply,
        "application/json",
        jsonArrayDocument(
          { ...head(when, grid), ...(district === undefined ? {} : { district }) },
          "meters",
          (async function* () {
            for await (const { meter, profile } of profiles()) yield profileJson(meter, profile);
          })(),
        ),
      );
    },
  );

  app.get(
    "/v1/access-log",
    {
      schema: {
        summary: "The caller's own access log: who read which meters and which period (read only)",
        querystring: z.object({
          from: z.iso.datetime({ offset: true }).optional(),
          to: z.iso.datetime({ offset: true }).optional(),
        }),
      },
    },
    async (request, reply) => {
      const caller = callerOf(request);
      const range = {
        ...(request.query.from ? { from: Date.parse(request.query.from) } : {}),
        ...(request.query.to ? { to: Date.parse(request.query.to) } : {}),
      };
      return sendStream(
        reply,
        "application/json",
        jsonArrayDocument({ reader: caller.reader }, "entries", accessLog.entries(caller.reader, range)),
      );
    },
  );

  return app;
}

interface PeriodWindow {
  readonly from: number;
  readonly to: number;
  readonly boundaries: readonly number[];
  readonly logged: { readonly from: string; readonly to: string };
}

/** The API as a worker for runService: listens on start, closes on stop. */
export class MeterDataApi implements Worker {
  readonly #deps: MeterDataApiDependencies;
  #app: HttpServer | undefined;
  #ready = false;
  port = 0;

  constructor(deps: MeterDataApiDependencies) {
    this.#deps = deps;
  }

  async start(_hooks: WorkerHooks): Promise<void> {
    await this.#deps.accessLog.open();
    this.#app = await buildMeterDataApi(this.#deps);
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
