import { accessSync, constants, mkdirSync } from "node:fs";
import { loadOrExit } from "@stadtfluss/config";
import { ConfigError } from "@stadtfluss/errors";
import { createLogger, runService } from "@stadtfluss/telemetry";
import { Counter, collectDefaultMetrics, Registry } from "prom-client";
import { AccessLog } from "./access/access-log.ts";
import { TokenFile } from "./access/token-store.ts";
import { loadConfig } from "./config.ts";
import { MeterDataApi } from "./meter-data-api.ts";

const { config, tokens } = loadOrExit("meter-data-api", () => {
  const config = loadConfig(process.env);
  const tokens = new TokenFile(config.tokensFile, "METER_TOKENS_FILE");
  try {
    mkdirSync(config.accessLogDir, { recursive: true, mode: 0o700 });
    accessSync(config.accessLogDir, constants.W_OK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? "error";
    throw new ConfigError([`METER_ACCESS_LOG_DIR: cannot write to ${config.accessLogDir} (${code})`]);
  }
  return { config, tokens };
});
const logger = createLogger("meter-data-api", config.logLevel);
const registry = new Registry();
collectDefaultMetrics({ register: registry });
const requests = new Counter({
  name: "stadtfluss_meter_api_requests_total",
  help: "Requests answered, by route and status",
  labelNames: ["route", "status"] as const,
  registers: [registry],
});

const undeclared = tokens
  .records(() => {})
  .filter((record) => !config.readers.has(record.reader))
  .map((record) => ({ id: record.id, reader: record.reader }));
if (undeclared.length > 0)
  logger.warn({ tokens: undeclared }, "tokens of readers that are no utility reader in the declaration are refused");
logger.info({ readers: [...config.readers.keys()] }, "utility readers declared");

const api = new MeterDataApi({ config, tokens, accessLog: new AccessLog(config.accessLogDir), logger, requests });
await runService({
  logger,
  registry,
  ops: config.ops,
  shutdownDeadlineMs: config.shutdownDeadlineMs,
  worker: {
    async start(hooks) {
      await api.start(hooks);
      logger.info({ port: api.port }, "meter-data API listening");
    },
    stop: () => api.stop(),
    isReady: () => api.isReady(),
  },
});
