import { createLogger, createPipelineMetrics } from "@stadtfluss/telemetry";
import type { Consumer, EachBatchPayload, Producer } from "kafkajs";
import { describe, expect, it } from "vitest";
import { type ConsumerWorkerOptions, createConsumerWorker } from "./consumer-worker.ts";
import { RenewingProducer } from "./producer.ts";

const logger = createLogger("test", "silent");

/** A consumer that records its listeners and commits, and runs one batch given to `deliver`. */
function fakeConsumer() {
  const listeners = new Map<string, (event: unknown) => void>();
  const commits: unknown[] = [];
  let eachBatch: ((payload: EachBatchPayload) => Promise<void>) | undefined;
  const consumer = {
    events: { GROUP_JOIN: "consumer.group_join", CRASH: "consumer.crash" },
    on: (name: string, listener: (event: unknown) => void) => listeners.set(name, listener),
    connect: async () => undefined,
    subscribe: async () => undefined,
    run: async (config: { eachBatch: (payload: EachBatchPayload) => Promise<void> }) => {
      eachBatch = config.eachBatch;
    },
    commitOffsets: async (offsets: unknown) => {
      commits.push(offsets);
    },
    disconnect: async () => undefined,
  } as unknown as Consumer;
  const emit = (name: string, payload: unknown) => listeners.get(name)?.({ payload });
  const deliver = (offsetLag: string) =>
    eachBatch?.({
      batch: {
        topic: "raw",
        partition: 2,
        messages: [{ offset: "7", key: null, value: Buffer.from("{}"), headers: {} }],
        offsetLag: () => offsetLag,
      },
      heartbeat: async () => undefined,
      isRunning: () => true,
      isStale: () => false,
      resolveOffset: () => undefined,
    } as unknown as EachBatchPayload);
  return { consumer, emit, deliver, commits };
}

const producer = () =>
  new RenewingProducer(
    () => ({ connect: async () => undefined, disconnect: async () => undefined }) as unknown as Producer,
    logger,
  );

function workerOn(consumer: Consumer, options: Partial<ConsumerWorkerOptions> = {}) {
  return createConsumerWorker({
    consumer,
    producer: producer(),
    topic: "raw",
    logger,
    metrics: createPipelineMetrics("test"),
    handle: async () => undefined,
    retrySink: "test",
    onRetry: () => undefined,
    ...options,
  });
}

describe("createConsumerWorker", () => {
  it("is ready once the consumer joined its group and stops the service on a crash kafkajs does not restart", async () => {
    const { consumer, emit } = fakeConsumer();
    let fatal: unknown;
    const worker = workerOn(consumer);
    await worker.start({ fatal: (error) => (fatal = error), finished: () => undefined });
    expect(worker.isReady()).toBe(false);
    emit("consumer.group_join", {});
    expect(worker.isReady()).toBe(true);
    emit("consumer.crash", { error: new Error("restarting"), restart: true });
    expect(worker.isReady()).toBe(false);
    expect(fatal).toBeUndefined();
    emit("consumer.crash", { error: new Error("gone"), restart: false });
    expect(fatal).toEqual(new Error("gone"));
  });

  it("asks the worker's own condition of readiness", async () => {
    const { consumer, emit } = fakeConsumer();
    let sinkReady = false;
    const worker = workerOn(consumer, { isReady: () => sinkReady });
    await worker.start({ fatal: () => undefined, finished: () => undefined });
    emit("consumer.group_join", {});
    expect(worker.isReady()).toBe(false);
    sinkReady = true;
    expect(worker.isReady()).toBe(true);
  });

  it("commits after the handler, reports the lag, and closes the sink after the consumer on stop", async () => {
    const { consumer, deliver, commits } = fakeConsumer();
    const metrics = createPipelineMetrics("test");
    const closed: string[] = [];
    const worker = workerOn(consumer, {
      metrics,
      close: async () => {
        closed.push("sink");
      },
    });
    await worker.start({ fatal: () => undefined, finished: () => undefined });
    await deliver("12");
    expect(commits).toEqual([[{ topic: "raw", partition: 2, offset: "8" }]]);
    const lag = await metrics.registry.getSingleMetric("stadtfluss_consumer_lag_messages")?.get();
    expect(lag?.values).toEqual([{ labels: { topic: "raw", partition: 2 }, value: 12 }]);
    await worker.stop();
    expect(closed).toEqual(["sink"]);
  });
});
