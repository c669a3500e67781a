import { loadOrExit } from "@stadtfluss/config";
import { createLogger, createPipelineMetrics, runService } from "@stadtfluss/telemetry";
import mqtt from "mqtt";
import { loadConfig } from "./config.ts";
import { createSimulator } from "./simulator.ts";

const config = loadOrExit("simulator", () => loadConfig(process.env));
const logger = createLogger("simulator", config.logLevel);
const metrics = createPipelineMetrics("simulator");

await runService({
  logger,
  registry: metrics.registry,
  ops: config.ops,
  shutdownDeadlineMs: config.shutdownDeadlineMs,
  worker: createSimulator({
    config,
    logger,
    metrics,
    connectMqtt: () =>
      mqtt.connect(config.mqtt.url, {
        clientId: `stadtfluss-simulator-${process.pid}`,
        reconnectPeriod: 1_000,
        ...(config.mqtt.username ? { username: config.mqtt.username } : {}),
        ...(config.mqtt.password ? { password: config.mqtt.password.reveal() } : {}),
      }),
  }),
});
