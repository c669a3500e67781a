import { EventEmitter } from "node:events";
import { createLogger, createPipelineMetrics } from "@stadtfluss/telemetry";
import type { MqttClient } from "mqtt";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { SimulatorConfig } from "./config.ts";
import { parseMeterFaults } from "./devices/meter-faults.ts";
import { createSimulator } from "./simulator.ts";

const NOW = Date.parse("2026-01-14T07:30:00Z");
const HOUR = 3_600_000;

/** Acknowledges every publish at once and keeps each message's own time. */
class Broker extends EventEmitter {
  readonly times: number[] = [];
  publishAsync(_topic: string, payload: string) {
    this.times.push(Date.parse(JSON.parse(payload).time));
    return Promise.resolve(undefined);
  }
  endAsync() {
    return Promise.resolve();
  }
}

function simulate(extra: Pick<SimulatorConfig, "clock" | "meterFaults">) {
  const broker = new Broker();
  const config: SimulatorConfig = {
    tenant: "musterstadt",
    topicPrefix: "stadtfluss",
    devices: {
      trafficCounters: 0,
      householdMeters: 1,
      dsmrMeters: 0,
      tasmotaMeters: 0,
      airSensors: 0,
      parkingSensors: 0,
      environmentSensors: 0,
      waterGauges: 0,
      weatherStations: 0,
    },
    mqtt: { url: "mqtt://broker.invalid" },
    rate: 10,
    seed: 1,
    maxInFlight: 1_000,
    ops: { host: "127.0.0.1", port: 0, nice: 0 },
    logLevel: "silent",
    shutdownDeadlineMs: 1_000,
    ...extra,
  };
  const simulator = createSimulator({
    config,
    logger: createLogger("simulator", "silent"),
    metrics: createPipelineMetrics("simulator"),
    connectMqtt: () => {
      setTimeout(() => broker.emit("connect"), 0);
      return broker as unknown as MqttClient;
    },
  });
  const started = simulator.start({ fatal: (error) => expect.unreachable(String(error)), finished: () => {} });
  return { broker, simulator, started };
}

describe("the devices' clock", () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: NOW });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("starts in the past, runs fast until it reaches real time, and never runs ahead of it", async () => {
    const { broker, simulator, started } = simulate({ clock: { start: NOW - HOUR, speed: 60 } });
    await vi.advanceTimersByTimeAsync(10);
    await started;
    await vi.advanceTimersByTimeAsync(30_000);
    // Half an hour of device time in 30 s.
    expect(broker.times[0]).toBeLessThan(NOW - HOUR + 10_000);
    const half = broker.times.at(-1) as number;
    expect(half).toBeGreaterThan(NOW - HOUR / 2 - 2_000);
    expect(half).toBeLessThanOrEqual(NOW - HOUR / 2 + 30_000);
    await vi.advanceTimersByTimeAsync(60_000);
    // Caught up: from then on at real time.
    expect(broker.times.at(-1)).toBeLessThanOrEqual(Date.now());
    expect(broker.times.at(-1)).toBeGreaterThan(Date.now() - 1_000);
    for (let i = 1; i < broker.times.length; i++)
      expect(broker.times[i]).toBeGreaterThan(broker.times[i - 1] as number);
    await simulator.stop();
  });

  it("keeps a meter silent through a gap of device time", async () => {
    const { broker, simulator, started } = simulate({
      clock: { start: NOW - HOUR, speed: 60 },
      meterFaults: parseMeterFaults("gap:meter-0001@10m/20m"),
    });
    await vi.advanceTimersByTimeAsync(10);
    await started;
    await vi.advanceTimersByTimeAsync(45_000);
    const gapFrom = NOW - HOUR + 10 * 60_000;
    const gapTo = gapFrom + 20 * 60_000;
    expect(broker.times.filter((t) => t >= gapFrom && t < gapTo)).toEqual([]);
    expect(broker.times.some((t) => t < gapFrom)).toBe(true);
    expect(broker.times.some((t) => t >= gapTo)).toBe(true);
    await simulator.stop();
  });
});
