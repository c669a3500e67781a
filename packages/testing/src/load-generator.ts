import { setTimeout as sleep } from "node:timers/promises";
import mqtt, { type MqttClient } from "mqtt";

export interface LoadOptions {
  readonly url: string;
  /** Messages go to `<topicPrefix>/<tenant>/<device>/up`, in the stadtfluss-json format unless `payload` says otherwise. */
  readonly topicPrefix: string;
  /** Another format's payload of a device's message `seq`, published at `time`. */
  readonly payload?: (seq: number, time: number) => string;
  readonly tenant: string;
  readonly devices: number;
  /** Total messages over all devices; each device gets count / devices. */
  readonly count: number;
  /** Messages per second. */
  readonly rate: number;
  /** Unacknowledged messages per connection before publishing waits. */
  readonly maxInFlight?: number;
  readonly clientId?: string;
  /**
   * Index of the first message, so that a later phase at another rate continues
   * every device's `seq` where the previous phase stopped (a multiple of `devices`).
   */
  readonly firstMessage?: number;
  /** MQTT connections sharing the devices (device i publishes on connection i mod n). */
  readonly connections?: number;
  /** Called about every `progressMs` with the messages published and acknowledged so far. */
  readonly onProgress?: (progress: { published: number; acknowledged: number }) => void;
  readonly progressMs?: number;
}

export interface LoadResult {
  readonly acknowledged: number;
  readonly seconds: number;
}

/** A running load: resolves with its result once the broker acknowledged every message. */
export interface Load extends Promise<LoadResult> {
  /**
   * Resolves once the broker has acknowledged `messages` of them, so that a test
   * hurts the pipeline mid-stream after a known amount of traffic, however slow
   * the machine; rejects if the load fails first or ends with fewer.
   */
  reached(messages: number): Promise<void>;
}

/**
 * A load generator for tests and benchmarks: numbered QoS 1 messages at a fixed
 * rate, devices in turn, each device's `seq` counting from 0 and its times never
 * repeating, so that InfluxDB must end up with exactly `count` points. The time
 * in each message is its publish time, for publish-to-queryable latency.
 */
export function publishNumbered(options: LoadOptions): Load {
  let acknowledged = 0;
  let settled: { error: unknown } | undefined;
  const waiting = new Set<{ messages: number; resolve: () => void; reject: (error: unknown) => void }>();
  const wake = () => {
    for (const waiter of waiting) {
      if (acknowledged >= waiter.messages) waiter.resolve();
      else if (settled) waiter.reject(settled.error);
      else continue;
      waiting.delete(waiter);
    }
  };
  const result = run(options, {
    acknowledged: () => {
      acknowledged++;
      wake();
    },
    failed: (error) => {
      settled ??= { error };
      wake();
    },
  });
  result.then(
    ({ acknowledged: total }) => {
      settled ??= { error: new Error(`the load ended after ${total} acknowledged messages`) };
      wake();
    },
    (error: unknown) => {
      settled ??= { error };
      wake();
    },
  );
  return Object.assign(result, {
    reached: (messages: number) =>
      new Promise<void>((resolve, reject) => {
        waiting.add({ messages, resolve, reject });
        wake();
      }),
  });
}

async function run(
  options: LoadOptions,
  on: { acknowledged: () => void; failed: (error: unknown) => void },
): Promise<LoadResult> {
  const connections = Math.max(1, options.connections ?? 1);
  const baseId = options.clientId ?? `load-${process.pid}-${Date.now()}`;
  const clients: MqttClient[] = await Promise.all(
    Array.from({ length: connections }, (_, c) =>
      mqtt.connectAsync(options.url, {
        clientId: connections === 1 ? baseId : `${baseId}-${c}`,
        reconnectPeriod: 500,
      }),
    ),
  );
  const maxInFlight = options.maxInFlight ?? 1_000;
  const firstMessage = options.firstMessage ?? 0;
  const lastTime = new Array<number>(options.devices).fill(0);
  const names = Array.from({ length: options.devices }, (_, i) => loadDeviceName(i));
  const inFlight = new Array<number>(connections).fill(0);
  const started = performance.now();
  let published = 0;
  let acknowledged = 0;
  let failure: unknown;
  const progress = options.onProgress
    ? setInterval(() => options.onProgress?.({ published, acknowledged }), options.progressMs ?? 1_000)
    : undefined;
  try {
    for (let i = 0; i < options.count; i++) {
      // Pace by the clock, not by sleeps, so that the rate holds under load.
      const due = started + (i * 1000) / options.rate;
      const wait = due - performance.now();
      if (wait > 1) await sleep(wait);
      const device = (firstMessage + i) % options.devices;
      const connection = device % connections;
      while ((inFlight[connection] ?? 0) >= maxInFlight) await sleep(1);
      if (failure) throw failure;
      const time = Math.max(Date.now(), (lastTime[device] ?? 0) + 1);
      lastTime[device] = time;
      const seq = Math.floor((firstMessage + i) / options.devices);
      const payload = (options.payload ?? numberedPayload)(seq, time);
      inFlight[connection] = (inFlight[connection] ?? 0) + 1;
      published++;
      clients[connection]
        ?.publishAsync(`${options.topicPrefix}/${options.tenant}/${names[device]}/up`, payload, { qos: 1 })
        .then(
          () => {
            inFlight[connection] = (inFlight[connection] ?? 0) - 1;
            acknowledged++;
            on.acknowledged();
          },
          (error: unknown) => {
            failure = error;
            on.failed(error);
          },
        );
    }
    while (inFlight.some((n) => n > 0)) {
      if (failure) throw failure;
      await sleep(5);
    }
    return { acknowledged, seconds: (performance.now() - started) / 1000 };
  } finally {
    if (progress) clearInterval(progress);
    options.onProgress?.({ published, acknowledged });
    await Promise.all(clients.map((client) => client.endAsync()));
  }
}

/** One numbered stadtfluss-json message: a vehicle count with the device's seq and its publish time. */
export function numberedPayload(seq: number, time: number): string {
  return `{"seq":${seq},"time":${time},"readings":[{"kind":"traffic.vehicle_count","value":${seq % 50},"unit":"{vehicle}"}]}`;
}

/** The name of the load generator's device `i` (from 0). */
export function loadDeviceName(i: number): string {
  return `load-${String(i + 1).padStart(4, "0")}`;
}
