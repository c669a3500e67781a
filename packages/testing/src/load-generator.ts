import { setTimeout as sleep } from "node:timers/promises";
import mqtt from "mqtt";

export interface LoadOptions {
  readonly url: string;
  /** Messages go to `<topicPrefix>/<tenant>/<device>/up` in the stadtfluss-json format. */
  readonly topicPrefix: string;
  readonly tenant: string;
  readonly devices: number;
  /** Total messages over all devices; each device gets count / devices. */
  readonly count: number;
  /** Messages per second. */
  readonly rate: number;
  readonly maxInFlight?: number;
  readonly clientId?: string;
}

export interface LoadResult {
  readonly acknowledged: number;
  readonly seconds: number;
}

/**
 * A load generator for tests and benchmarks: numbered QoS 1 messages at a fixed
 * rate, devices in turn, each device's `seq` counting from 0 and its times never
 * repeating, so that InfluxDB must end up with exactly `count` points. The time
 * in each message is its publish time, for publish-to-queryable latency.
 */
export async function publishNumbered(options: LoadOptions): Promise<LoadResult> {
  const client = await mqtt.connectAsync(options.url, {
    clientId: options.clientId ?? `load-${process.pid}-${Date.now()}`,
    reconnectPeriod: 500,
  });
  const maxInFlight = options.maxInFlight ?? 1_000;
  const lastTime = new Array<number>(options.devices).fill(0);
  const names = Array.from({ length: options.devices }, (_, i) => `load-${String(i + 1).padStart(4, "0")}`);
  const started = performance.now();
  let inFlight = 0;
  let acknowledged = 0;
  let failure: unknown;
  try {
    for (let i = 0; i < options.count; i++) {
      // Pace by the clock, not by sleeps, so that the rate holds under load.
      const due = started + (i * 1000) / options.rate;
      const wait = due - performance.now();
      if (wait > 1) await sleep(wait);
      while (inFlight >= maxInFlight) await sleep(1);
      if (failure) throw failure;
      const device = i % options.devices;
      const time = Math.max(Date.now(), (lastTime[device] ?? 0) + 1);
      lastTime[device] = time;
      const seq = Math.floor(i / options.devices);
      const payload = `{"seq":${seq},"time":${time},"readings":[{"kind":"traffic.vehicle_count","value":${seq % 50},"unit":"{vehicle}"}]}`;
      inFlight++;
      client.publishAsync(`${options.topicPrefix}/${options.tenant}/${names[device]}/up`, payload, { qos: 1 }).then(
        () => {
          inFlight--;
          acknowledged++;
        },
        (error: unknown) => {
          failure = error;
        },
      );
    }
    while (inFlight > 0) {
      if (failure) throw failure;
      await sleep(5);
    }
    return { acknowledged, seconds: (performance.now() - started) / 1000 };
  } finally {
    await client.endAsync();
  }
}
