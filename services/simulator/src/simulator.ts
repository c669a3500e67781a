import type { Logger, PipelineMetrics, Worker } from "@stadtfluss/telemetry";
import type { MqttClient } from "mqtt";
import type { SimulatorConfig } from "./config.ts";
import type { SimulatedDevice } from "./devices/device.ts";
import { householdMeter } from "./devices/household-meter.ts";
import { trafficCounter } from "./devices/traffic-counter.ts";
import { seededRandom } from "./random.ts";

export interface SimulatorDependencies {
  readonly config: SimulatorConfig;
  readonly connectMqtt: () => MqttClient;
  readonly logger: Logger;
  readonly metrics: PipelineMetrics;
  readonly now?: () => number;
}

const TICK_MS = 10;

export function createDevices(config: SimulatorConfig, random: () => number): SimulatedDevice[] {
  const pad = (i: number) => String(i + 1).padStart(4, "0");
  return [
    ...Array.from({ length: config.trafficCounters }, (_, i) =>
      trafficCounter(`traffic-${pad(i)}`, 1 + Math.floor(random() * 3)),
    ),
    ...Array.from({ length: config.householdMeters }, (_, i) =>
      householdMeter(`meter-${pad(i)}`, 1_500 + random() * 4_000, random),
    ),
  ];
}

/**
 * Publishes stadtfluss-json messages over MQTT (QoS 1) at the configured rate,
 * devices in turn. Each device numbers its messages from 0 and never repeats a
 * timestamp, so every message becomes exactly one point per field in InfluxDB.
 */
export function createSimulator(deps: SimulatorDependencies): Worker {
  const { config, logger, metrics } = deps;
  const now = deps.now ?? Date.now;
  const random = seededRandom(config.seed);
  const devices = createDevices(config, random);
  const sequence = new Map<string, number>();
  const lastTime = new Map<string, number>();
  let client: MqttClient | undefined;
  let timer: NodeJS.Timeout | undefined;
  let sent = 0;
  let acknowledged = 0;
  let inFlight = 0;
  let credit = 0;
  let connected = false;
  let idle: (() => void) | undefined;

  const publishNext = (hooks: { fatal(e: unknown): void; finished(): void }) => {
    const device = devices[sent % devices.length];
    if (!device || !client) return;
    const seq = sequence.get(device.id) ?? 0;
    sequence.set(device.id, seq + 1);
    const time = Math.max(now(), (lastTime.get(device.id) ?? 0) + 1);
    lastTime.set(device.id, time);
    const payload = JSON.stringify({
      seq,
      time: new Date(time).toISOString(),
      readings: device.next(new Date(time), random),
    });
    sent++;
    inFlight++;
    metrics.messagesIn.inc();
    client.publishAsync(`${config.topicPrefix}/${config.tenant}/${device.id}/up`, payload, { qos: 1 }).then(
      () => {
        inFlight--;
        acknowledged++;
        metrics.messagesOut.inc({ topic: "mqtt" });
        if (inFlight === 0) idle?.();
        if (config.count !== undefined && acknowledged === config.count) {
          logger.info({ messages: acknowledged }, "all messages acknowledged");
          hooks.finished();
        }
      },
      (error: unknown) => hooks.fatal(error),
    );
  };

  return {
    async start(hooks) {
      logger.info({ devices: devices.length, rate: config.rate, count: config.count, seed: config.seed }, "simulating");
      client = deps.connectMqtt();
      client.on("connect", () => {
        connected = true;
      });
      client.on("close", () => {
        connected = false;
      });
      client.on("error", (error) => logger.error({ err: error }, "mqtt error"));
      await new Promise<void>((resolve) => client?.once("connect", () => resolve()));
      let last = now();
      timer = setInterval(() => {
        const t = now();
        // Credit accrues with time, so the rate holds even when ticks are late.
        credit = Math.min(credit + ((t - last) * config.rate) / 1000, config.rate);
        last = t;
        while (credit >= 1 && inFlight < config.maxInFlight && (config.count === undefined || sent < config.count)) {
          credit--;
          publishNext(hooks);
        }
      }, TICK_MS);
    },
    async stop() {
      clearInterval(timer);
      if (inFlight > 0) await new Promise<void>((resolve) => (idle = resolve));
      await client?.endAsync();
    },
    isReady: () => connected,
  };
}
