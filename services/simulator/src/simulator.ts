import type { Logger, PipelineMetrics, Worker } from "@stadtfluss/telemetry";
import type { MqttClient } from "mqtt";
import type { SimulatorConfig } from "./config.ts";
import { type CatalogueDevice, simulatedDevices } from "./device-catalogue.ts";
import type { SimulatedDevice } from "./devices/device.ts";
import { householdMeterIds, planMeterFaults } from "./devices/meter-faults.ts";
import { seededRandom } from "./random.ts";

export interface SimulatorDependencies {
  readonly config: SimulatorConfig;
  readonly connectMqtt: () => MqttClient;
  readonly logger: Logger;
  readonly metrics: PipelineMetrics;
  readonly now?: () => number;
}

const TICK_MS = 10;

interface Running {
  readonly device: CatalogueDevice;
  readonly behaviour: SimulatedDevice;
  last: number;
}

/**
 * Publishes every simulated device's messages over MQTT (QoS 1) at the
 * configured rate, devices in turn, each on its own topic in its own format.
 * A device whose turn comes before its payload could tell the time apart from
 * its last message (a second, for formats with seconds) is passed over, so no
 * device ever repeats a timestamp.
 */
export function createSimulator(deps: SimulatorDependencies): Worker {
  const { config, logger, metrics } = deps;
  const now = deps.now ?? Date.now;
  const random = seededRandom(config.seed);
  const realStart = now();
  // The devices' clock: from its start, `speed` times real time, but never ahead of real time.
  const clockStart = config.clock?.start ?? realStart;
  const speed = config.clock?.speed ?? 1;
  const clock = (t: number) => Math.min(clockStart + (t - realStart) * speed, Math.max(t, clockStart));
  const startedAt = new Date(clockStart);
  const catalogue = simulatedDevices(config);
  const faults = planMeterFaults(config.meterFaults ?? [], householdMeterIds(catalogue), config.seed, clockStart);
  const fleet: Running[] = catalogue.map((device) => ({
    device,
    behaviour: device.simulate(
      random,
      startedAt,
      faults.filter((fault) => fault.device === device.id),
    ),
    last: Number.NEGATIVE_INFINITY,
  }));
  let client: MqttClient | undefined;
  let timer: NodeJS.Timeout | undefined;
  let turn = 0;
  let sent = 0;
  let acknowledged = 0;
  let inFlight = 0;
  let credit = 0;
  let connected = false;
  let idle: (() => void) | undefined;

  /** Publishes the next device's message whose time has come; false if none has. */
  const publishNext = (realT: number, hooks: { fatal(e: unknown): void; finished(): void }): boolean => {
    const t = clock(realT);
    for (let tried = 0; tried < fleet.length; tried++) {
      const running = fleet[turn];
      turn = (turn + 1) % fleet.length;
      if (!running || !client || t - running.last < running.behaviour.resolutionMs) continue;
      if (running.behaviour.silent?.(new Date(t))) continue;
      running.last = t;
      const payload = running.behaviour.next(new Date(t), random);
      sent++;
      inFlight++;
      metrics.messagesIn.inc();
      client.publishAsync(running.device.topic, payload, { qos: 1 }).then(
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
      return true;
    }
    return false;
  };

  return {
    async start(hooks) {
      const formats: Record<string, number> = {};
      for (const { device } of fleet) formats[device.format] = (formats[device.format] ?? 0) + 1;
      logger.info(
        { devices: fleet.length, formats, rate: config.rate, count: config.count, seed: config.seed },
        "simulating",
      );
      if (speed !== 1 || clockStart !== realStart)
        logger.info({ start: new Date(clockStart).toISOString(), speed }, "devices' clock");
      for (const fault of faults)
        logger.info(
          {
            kind: fault.kind,
            device: fault.device,
            at: new Date(fault.at).toISOString(),
            ...(fault.kind === "gap" ? { until: new Date(fault.until).toISOString() } : {}),
          },
          "meter fault planned",
        );
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
          if (!publishNext(t, hooks)) break;
          credit--;
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
