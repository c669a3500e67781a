import { setTimeout as sleep } from "node:timers/promises";
import { isRetriable } from "@stadtfluss/errors";
import type { Batch, Consumer, EachBatchPayload, Kafka, KafkaMessage } from "kafkajs";
import { hasBrokerError } from "./broker-error.ts";
import type { KafkaSettings } from "./client.ts";

/** Partitions whose batches kafkajs hands over at the same time, per consumer. */
const PARTITIONS_CONCURRENTLY = 8;

/**
 * Records a group of batches holds before the next batch starts another, handled
 * at the same time. A sink takes a group's outputs in one request after the other;
 * a consumer catching up on large fetches keeps its partitions' requests going at
 * once, as each batch on its own did. At 20,000 msg/s a fetch every 100 ms holds
 * about 2,000 records.
 */
export const GROUP_MAX_RECORDS = 2_500;

/** The batches of one turn, each of its own partition. */
export type BatchHandler = (batches: readonly Batch[]) => Promise<void>;

export interface ConsumeBatchesOptions {
  readonly consumer: Consumer;
  readonly topic: string;
  /**
   * Processes batches of different partitions and resolves only once their outputs
   * are acknowledged downstream. A retriable error pauses their partitions and
   * retries each batch on its own; anything else must be dead-lettered by the
   * handler itself.
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
 *
 * The batches kafkajs hands over in one turn of the event loop (the partitions of
 * one fetch response, and of any other that came in with it) go to `handle` together
 * and are committed in one request: one sink request and one commit instead of one
 * per partition, at no wait. Where such a group fails, each of its batches is tried
 * again on its own, so that a partition whose batch its sink takes moves on while
 * another waits.
 */
export async function consumeBatches(options: ConsumeBatchesOptions): Promise<void> {
  const { consumer, topic, handle, onRetry, onRecovered, onWaiting, onCommitted, onCommitRefused } = options;
  const maxBackoffMs = options.maxBackoffMs ?? 10_000;
  let waiting = 0;
  let gathering: { members: Member[]; records: number } | undefined;

  /** Resolves the members' offsets and commits them in one request. */
  const commit = async (members: readonly Member[]): Promise<void> => {
    const offsets = members.map(({ payload: { batch, resolveOffset } }) => {
      const last = batch.messages.at(-1) as KafkaMessage;
      // Resolving moves kafkajs's fetch position; committing makes it survive us.
      resolveOffset(last.offset);
      return { topic: batch.topic, partition: batch.partition, offset: (BigInt(last.offset) + 1n).toString() };
    });
    try {
      await consumer.commitOffsets(offsets);
    } catch (error) {
      // The group moved on without us (a long outage, a rebalance): the outputs
      // are stored, only the commit is lost, so whoever owns the partition now
      // reads the batch again. kafkajs rejoins on its next heartbeat.
      if (!hasBrokerError(error, MEMBERSHIP_ERRORS)) throw error;
      onCommitRefused?.(error);
      return;
    }
    for (const { payload } of members)
      onCommitted?.(payload.batch.topic, payload.batch.partition, Number(payload.batch.offsetLag()));
  };

  /** One batch, after its group failed with `first`: retried until handled, or left to the partition's next owner. */
  const alone = async (member: Member, first: unknown): Promise<void> => {
    const { batch, heartbeat, isRunning, isStale } = member.payload;
    onWaiting?.(++waiting);
    try {
      let error = first;
      for (let attempt = 1; ; attempt++) {
        onRetry?.(error, attempt);
        const until = Date.now() + Math.min(maxBackoffMs, 200 * 2 ** Math.min(attempt, 16));
        while (Date.now() < until) {
          // Not committing leaves the batch to whoever owns the partition next.
          if (!isRunning() || isStale()) return;
          await sleep(100);
        }
        await heartbeat();
        try {
          await whileHeartbeating(heartbeat, () => handle([batch]));
          onRecovered?.();
          break;
        } catch (next) {
          if (!isRetriable(next)) throw next;
          error = next;
        }
      }
    } finally {
      // However the batch leaves, it no longer waits here: a flag only a recovery
      // clears would stay set when the partition moved on during an outage.
      onWaiting?.(--waiting);
    }
    await commit([member]);
  };

  const run = async (members: Member[]): Promise<void> => {
    try {
      await whileHeartbeating((members[0] as Member).payload.heartbeat, () =>
        handle(members.map((member) => member.payload.batch)),
      );
    } catch (error) {
      if (!isRetriable(error)) {
        for (const member of members) member.reject(error);
        return;
      }
      for (const member of members) alone(member, error).then(member.resolve, member.reject);
      return;
    }
    commit(members).then(
      () => {
        for (const member of members) member.resolve();
      },
      (error: unknown) => {
        for (const member of members) member.reject(error);
      },
    );
  };

  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    // kafkajs hands over this many partitions' batches at once, which are then
    // handled together; one at a time would make each wait for the others' round trips.
    partitionsConsumedConcurrently: PARTITIONS_CONCURRENTLY,
    eachBatchAutoResolve: false,
    eachBatch: (payload) => {
      const records = payload.batch.messages.length;
      if (records === 0) return Promise.resolve();
      const { promise, resolve, reject } = Promise.withResolvers<void>();
      if (gathering === undefined || gathering.records + records > GROUP_MAX_RECORDS) {
        const group = { members: [] as Member[], records: 0 };
        gathering = group;
        // kafkajs hands over a fetch response's batches in one turn; the next turn handles them.
        setImmediate(() => {
          if (gathering === group) gathering = undefined;
          void run(group.members);
        });
      }
      gathering.members.push({ payload, resolve, reject });
      gathering.records += records;
      return promise;
    },
  });
}

/** A batch waiting in a group for its handling and commit. */
interface Member {
  readonly payload: EachBatchPayload;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
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
