import { UnavailableError } from "@stadtfluss/errors";
import { createLogger, createPipelineMetrics } from "@stadtfluss/telemetry";
import type { Consumer, EachBatchPayload, Producer } from "kafkajs";
import { describe, expect, it } from "vitest";
import { GROUP_MAX_RECORDS } from "./consume-batches.ts";
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
  const deliver = (offsetLag: string, { partition = 2, isStale = (): boolean => false, records = 1 } = {}) =>
    eachBatch?.({
      batch: {
        topic: "raw",
        partition,
        messages: Array.from({ length: records }, (_, i) => ({
          offset: String(8 - records + i),
          key: null,
          value: Buffer.from("{}"),
          headers: {},
        })),
        offsetLag: () => offsetLag,
      },
      heartbeat: async () => undefined,
      isRunning: () => true,
      isStale,
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

  it("is not ready while any partition's batch waits for a retry, and ready once none does", async () => {
    const { consumer, emit, deliver, commits } = fakeConsumer();
    const down = new Set([2, 3]);
    let retries = 0;
    const recovered: number[] = [];
    const calls: number[][] = [];
    const worker = workerOn(consumer, {
      notReadyWhileRetrying: true,
      handle: async (batches) => {
        calls.push(batches.map((batch) => batch.partition));
        if (batches.some((batch) => down.has(batch.partition))) throw new UnavailableError("sink down");
      },
      onRecovered: () => recovered.push(recovered.length),
      onRetry: () => retries++,
    });
    await worker.start({ fatal: () => undefined, finished: () => undefined });
    emit("consumer.group_join", {});
    const two = deliver("0", { partition: 2 });
    const three = deliver("0", { partition: 3 });
    await expect.poll(() => retries).toBeGreaterThanOrEqual(2);
    expect(worker.isReady()).toBe(false);
    // Handed over in one turn, tried together once, then each on its own.
    expect(calls[0]).toEqual([2, 3]);
    expect(calls.slice(1).every((call) => call.length === 1)).toBe(true);

    // One partition recovering says nothing of the other.
    down.delete(2);
    await two;
    expect(recovered).toHaveLength(1);
    expect(worker.isReady()).toBe(false);
    down.delete(3);
    await three;
    expect(worker.isReady()).toBe(true);
    expect(commits).toHaveLength(2);
  });

  it("is ready again when a waiting batch is left to the partition's next owner", async () => {
    const { consumer, emit, deliver, commits } = fakeConsumer();
    let stale = false;
    const worker = workerOn(consumer, {
      notReadyWhileRetrying: true,
      handle: async () => {
        throw new UnavailableError("sink down");
      },
    });
    await worker.start({ fatal: () => undefined, finished: () => undefined });
    emit("consumer.group_join", {});
    const waiting = deliver("0", { isStale: () => stale });
    await expect.poll(() => worker.isReady()).toBe(false);

    // A rebalance during the outage: the batch is not committed and no longer waits here.
    stale = true;
    await waiting;
    expect(commits).toEqual([]);
    expect(worker.isReady()).toBe(true);
  });

  it("stays ready through retries unless asked otherwise", async () => {
    const { consumer, emit, deliver } = fakeConsumer();
    let stale = false;
    let retries = 0;
    const worker = workerOn(consumer, {
      handle: async () => {
        throw new UnavailableError("sink down");
      },
      onRetry: () => retries++,
    });
    await worker.start({ fatal: () => undefined, finished: () => undefined });
    emit("consumer.group_join", {});
    const waiting = deliver("0", { isStale: () => stale });
    await expect.poll(() => retries).toBeGreaterThanOrEqual(1);
    expect(worker.isReady()).toBe(true);
    stale = true;
    await waiting;
  });

  it("handles the batches of one turn together and commits them in one request", async () => {
    const { consumer, deliver, commits } = fakeConsumer();
    const calls: number[][] = [];
    const worker = workerOn(consumer, {
      handle: async (batches) => {
        calls.push(batches.map((batch) => batch.partition));
      },
    });
    await worker.start({ fatal: () => undefined, finished: () => undefined });
    const together = [deliver("0", { partition: 2 }), deliver("0", { partition: 3 })];
    await Promise.all(together);
    // A batch of a later turn is not held back for company.
    await deliver("0", { partition: 4 });
    expect(calls).toEqual([[2, 3], [4]]);
    expect(commits).toEqual([
      [
        { topic: "raw", partition: 2, offset: "8" },
        { topic: "raw", partition: 3, offset: "8" },
      ],
      [{ topic: "raw", partition: 4, offset: "8" }],
    ]);
  });

  it("starts another group past GROUP_MAX_RECORDS, and handles both at once", async () => {
    const { consumer, deliver, commits } = fakeConsumer();
    const calls: number[][] = [];
    let active = 0;
    let most = 0;
    const worker = workerOn(consumer, {
      handle: async (batches) => {
        calls.push(batches.map((batch) => batch.partition));
        most = Math.max(most, ++active);
        await new Promise((resolve) => setTimeout(resolve, 20));
        active--;
      },
    });
    await worker.start({ fatal: () => undefined, finished: () => undefined });
    await Promise.all([
      deliver("0", { partition: 2, records: GROUP_MAX_RECORDS - 1 }),
      deliver("0", { partition: 3, records: 2 }),
      deliver("0", { partition: 4 }),
    ]);
    expect(calls).toEqual([[2], [3, 4]]);
    expect(most).toBe(2);
    expect(commits).toHaveLength(2);
  });

  it("fails every batch of a group on an error that no retry mends, committing none", async () => {
    const { consumer, deliver, commits } = fakeConsumer();
    const worker = workerOn(consumer, {
      handle: async () => {
        throw new Error("a bug, not an outage");
      },
    });
    await worker.start({ fatal: () => undefined, finished: () => undefined });
    const outcomes = await Promise.allSettled([deliver("0", { partition: 2 }), deliver("0", { partition: 3 })]);
    expect(outcomes.map((outcome) => outcome.status)).toEqual(["rejected", "rejected"]);
    expect(commits).toEqual([]);
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
