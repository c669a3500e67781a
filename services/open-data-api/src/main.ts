import { loadOrExit } from "@stadtfluss/config";
import { createLogger, runService } from "@stadtfluss/telemetry";
import { Counter, collectDefaultMetrics, Registry } from "prom-client";
import { loadConfig } from "./config.ts";
import { OpenDataApi } from "./open-data-api.ts";

const config = loadOrExit("open-data-api", () => loadConfig(process.env));
const logger = createLogger("open-data-api", config.logLevel);
const registry = new Registry();
collectDefaultMetrics({ register: registry });
const requests = new Counter({
  name: "stadtfluss_open_data_api_requests_total",
  help: "Requests answered, by route and status",
  labelNames: ["route", "status"] as const,
  registers: [registry],
});
logger.info({ tenants: [...config.tenants.keys()] }, "tenants published");

const api = new OpenDataApi({ config, logger, requests });
await runService({
  logger,
  registry,
  ops: config.ops,
  shutdownDeadlineMs: config.shutdownDeadlineMs,
  worker: {
    async start(hooks) {
      await api.start(hooks);
      logger.info({ port: api.port }, "open-data API listening");
    },
    stop: () => api.stop(),
    isReady: () => api.isReady(),
  },
});
