import { setTimeout as sleep } from "node:timers/promises";
import { isRetriable } from "@stadtfluss/errors";
import type { Batch, Consumer, Kafka } from "kafkajs";
import { hasBrokerError } from "./broker-error.ts";
import type { KafkaSettings } from "./client.ts";

/** Partitions whose batches are handled at the same time, per consumer. */
const PARTITIONS_CONCURRENTLY = 8;

export type BatchHandler = (batch: Batch) => Promise<void>;

export interface ConsumeBatchesOptions {
  readonly consumer: Consumer;
  readonly topic: string;
  /**
   * Processes one partition's batch and resolves only once its outputs are
   * acknowledged downstream. A retriable error pauses this partition and retries
   * the same batch; anything else must be dead-lettered by the handler itself.
   */
  readonly handle: BatchHandler;
  /** Called for each failed attempt. */
  readonly onRetry?: (error: unknown, attempt: number) => void;
  /** A batch that had failed was handled after all. */
  readonly onRecovered?: () => void;
  /**
   * How many batches wait for a retry, each time the number changes. A batch
   * stops waiting when it is handled, and also when it is left to the
   * partition's next owner (a rebalance, a stop) or fails for good.
   */
  readonly onWaiting?: (batches: number) => void;
  /** The group refused a commit because this consumer lost its membership. */
  readonly onCommitRefused?: (error: unknown) => void;
  /** After each committed batch: messages still behind it in the partition. */
  readonly onCommitted?: (topic: string, partition: number, lag: number) => void;
  readonly maxBackoffMs?: number;
}

export function createConsumer(kafka: Kafka, settings: KafkaSettings, groupId: string): Consumer {
  return kafka.consumer({
    groupId,
    maxWaitTimeInMs: settings.fetchMaxWaitMs,
    minBytes: settings.fetchMinBytes,
    metadataMaxAge: settings.metadataMaxAgeMs,
    sessionTimeout: settings.sessionTimeoutMs,
    heartbeatInterval: Math.floor(settings.sessionTimeoutMs / 5),
    allowAutoTopicCreation: true,
  });
}

/**
 * Runs `handle` on every batch and commits a partition's offsets only after the
 * handler resolved, so a crash at any point replays instead of losing. While
 * downstream is unavailable the consumer waits on the same batch rather than
 * fetching more: memory stays bounded by what kafkajs has already fetched.
 */
export async function consumeBatches(options: ConsumeBatchesOptions): Promise<void> {
  const {
    consumer,
    topic,
    handle,
    onRetry,
    onRecovered,
    onWaiting,
    onCommitted,
    onCommitRefused,
    maxBackoffMs = 10_000,
  } = options;
  let waiting = 0;
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    // Each partition is handled and committed on its own; one at a time would make
    // every partition wait for the others' downstream round trips.
    partitionsConsumedConcurrently: PARTITIONS_CONCURRENTLY,
    eachBatchAutoResolve: false,
    eachBatch: async ({ batch, heartbeat, isRunning, isStale, resolveOffset }) => {
      const last = batch.messages.at(-1);
      if (last === undefined) return;
      let failed = false;
      try {
        for (let attempt = 1; ; attempt++) {
          try {
            await whileHeartbeating(heartbeat, () => handle(batch));
            if (failed) onRecovered?.();
            break;
          } catch (error) {
            if (!isRetriable(error)) throw error;
            if (!failed) {
              failed = true;
              onWaiting?.(++waiting);
            }
            onRetry?.(error, attempt);
            const until = Date.now() + Math.min(maxBackoffMs, 200 * 2 ** Math.min(attempt, 16));
            while (Date.now() < until) {
              // Not committing leaves the batch to whoever owns the partition next.
              if (!isRunning() || isStale()) return;
              await sleep(100);
            }
            await heartbeat();
          }
        }
      } finally {
        // However the batch leaves, it no longer waits here: a flag only a recovery
        // clears would stay set when the partition moved on during an outage.
        if (failed) onWaiting?.(--waiting);
      }
      // Resolving moves kafkajs's fetch position; committing makes it survive us.
      resolveOffset(last.offset);
      try {
        await consumer.commitOffsets([
          { topic: batch.topic, partition: batch.partition, offset: (BigInt(last.offset) + 1n).toString() },
        ]);
      } catch (error) {
        // The group moved on without us (a long outage, a rebalance): the outputs
        // are stored, only the commit is lost, so whoever owns the partition now
        // reads the batch again. kafkajs rejoins on its next heartbeat.
        if (!hasBrokerError(error, MEMBERSHIP_ERRORS)) throw error;
        onCommitRefused?.(error);
        return;
      }
      onCommitted?.(batch.topic, batch.partition, Number(batch.offsetLag()));
    },
  });
}

/**
 * A handler may wait long on its sink (a produce retried through a broker
 * outage): heartbeats keep this consumer in its group meanwhile, or the group
 * would move its partitions and refuse the commit that follows.
 */
async function whileHeartbeating<T>(heartbeat: () => Promise<void>, work: () => Promise<T>): Promise<T> {
  const timer = setInterval(() => {
    heartbeat().catch(() => undefined);
  }, 1_000);
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}

/** The group moved on without this consumer: its commit is refused. */
const MEMBERSHIP_ERRORS = new Set([
  "UNKNOWN_MEMBER_ID",
  "ILLEGAL_GENERATION",
  "REBALANCE_IN_PROGRESS",
  "NOT_COORDINATOR",
  "COORDINATOR_NOT_AVAILABLE",
]);
