import { EventEmitter } from "node:events";
import { createLogger, createPipelineMetrics } from "@stadtfluss/telemetry";
import type { MqttClient } from "mqtt";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { DeviceCounts, SimulatorConfig } from "./config.ts";
import { createSimulator } from "./simulator.ts";

const NONE: DeviceCounts = {
  trafficCounters: 0,
  householdMeters: 0,
  dsmrMeters: 0,
  tasmotaMeters: 0,
  airSensors: 0,
  parkingSensors: 0,
  environmentSensors: 0,
  waterGauges: 0,
  weatherStations: 0,
};

/** Stands in for the broker: acknowledges every publish at once and remembers it. */
class FakeBroker extends EventEmitter {
  readonly published: Array<{ topic: string; payload: string; at: number }> = [];
  publishAsync(topic: string, payload: string) {
    this.published.push({ topic, payload, at: Date.now() });
    return Promise.resolve(undefined);
  }
  endAsync() {
    return Promise.resolve();
  }
}

function simulate(devices: Partial<DeviceCounts>, options: { rate: number; count?: number }) {
  const broker = new FakeBroker();
  const config: SimulatorConfig = {
    tenant: "musterstadt",
    topicPrefix: "stadtfluss",
    devices: { ...NONE, ...devices },
    mqtt: { url: "mqtt://broker.invalid" },
    rate: options.rate,
    ...(options.count === undefined ? {} : { count: options.count }),
    seed: 42,
    maxInFlight: 1_000,
    ops: { host: "127.0.0.1", port: 0, nice: 0 },
    logLevel: "silent",
    shutdownDeadlineMs: 1_000,
  };
  const finished = vi.fn();
  const simulator = createSimulator({
    config,
    logger: createLogger("simulator", "silent"),
    metrics: createPipelineMetrics("simulator"),
    connectMqtt: () => {
      setTimeout(() => broker.emit("connect"), 0);
      return broker as unknown as MqttClient;
    },
  });
  const started = simulator.start({ fatal: (error) => expect.unreachable(String(error)), finished });
  return { broker, simulator, started, finished };
}

/** Messages per topic, in the order sent. */
function byTopic(published: ReadonlyArray<{ topic: string; payload: string }>): Map<string, string[]> {
  const topics = new Map<string, string[]>();
  for (const { topic, payload } of published) topics.set(topic, [...(topics.get(topic) ?? []), payload]);
  return topics;
}

describe("the simulator", () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: new Date("2026-01-14T07:30:00Z") });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("publishes SIM_RATE messages per second over all devices", async () => {
    const { broker, simulator, started } = simulate({ trafficCounters: 5, householdMeters: 5 }, { rate: 50 });
    await vi.advanceTimersByTimeAsync(10);
    await started;
    await vi.advanceTimersByTimeAsync(20_000);
    await simulator.stop();
    expect(broker.published.length).toBeGreaterThanOrEqual(990);
    expect(broker.published.length).toBeLessThanOrEqual(1_010);
  });

  it("lets the devices take turns, each numbering its messages from 0 without a gap", async () => {
    const { broker, simulator, started } = simulate(
      { trafficCounters: 2, householdMeters: 2, parkingSensors: 2, waterGauges: 1 },
      { rate: 7 },
    );
    await vi.advanceTimersByTimeAsync(10);
    await started;
    await vi.advanceTimersByTimeAsync(30_000);
    await simulator.stop();
    const topics = byTopic(broker.published);
    expect(topics.size).toBe(7);
    const counts = [...topics.values()].map((messages) => messages.length);
    expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
    for (const [topic, messages] of topics) {
      const sequence = messages.map((payload) => {
        const json = JSON.parse(payload);
        return json.seq ?? json.uplink_message?.f_cnt ?? json.fCnt ?? 0;
      });
      expect(sequence, topic).toEqual(sequence.map((_, i) => i));
    }
  });

  it("never repeats a device's timestamp: a format with seconds waits for the next second", async () => {
    const { broker, simulator, started } = simulate({ dsmrMeters: 2, tasmotaMeters: 1 }, { rate: 100 });
    await vi.advanceTimersByTimeAsync(10);
    await started;
    await vi.advanceTimersByTimeAsync(10_000);
    await simulator.stop();
    const topics = byTopic(broker.published);
    expect(topics.size).toBe(3);
    for (const [topic, messages] of topics) {
      const times = messages.map((payload) =>
        topic.startsWith("dsmr/") ? /0-0:1\.0\.0\((\d{12})[SW]\)/.exec(payload)?.[1] : JSON.parse(payload).Time,
      );
      expect(new Set(times).size, topic).toBe(times.length);
      // Three devices at one message per second each cannot use up 100 per second.
      expect(messages.length).toBeLessThanOrEqual(11);
      expect(messages.length).toBeGreaterThanOrEqual(9);
    }
  });

  it("stops after SIM_COUNT acknowledged messages", async () => {
    const { broker, simulator, started, finished } = simulate(
      { trafficCounters: 3, weatherStations: 1 },
      { rate: 100, count: 40 },
    );
    await vi.advanceTimersByTimeAsync(10);
    await started;
    await vi.advanceTimersByTimeAsync(5_000);
    await simulator.stop();
    expect(broker.published).toHaveLength(40);
    expect(finished).toHaveBeenCalledOnce();
  });

  it("repeats a run exactly with the same seed", async () => {
    const first = simulate({ householdMeters: 2, airSensors: 1, environmentSensors: 1 }, { rate: 10, count: 20 });
    await vi.advanceTimersByTimeAsync(5_000);
    await first.simulator.stop();
    vi.setSystemTime(new Date("2026-01-14T07:30:00Z"));
    const second = simulate({ householdMeters: 2, airSensors: 1, environmentSensors: 1 }, { rate: 10, count: 20 });
    await vi.advanceTimersByTimeAsync(5_000);
    await second.simulator.stop();
    expect(second.broker.published.map((m) => m.payload)).toEqual(first.broker.published.map((m) => m.payload));
  });
});
