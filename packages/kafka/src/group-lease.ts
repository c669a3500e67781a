import type { Logger } from "@stadtfluss/telemetry";
import type { Consumer } from "kafkajs";

/** The one partition whose owner holds the lease. */
const LEASE_PARTITION = 0;

export interface GroupLeaseOptions {
  /** A consumer of the group whose members compete: one group per job that must not run twice. */
  readonly consumer: Consumer;
  /** Created with one partition; where it has more, only partition 0 counts. Nothing is read from it. */
  readonly topic: string;
  /** The consumer's session timeout: a member that has not heard from the group for this long lets go. */
  readonly sessionTimeoutMs: number;
  /**
   * How long a new holder waits before it acts: longer than the longest step the
   * previous holder may still finish after it lost the lease (one bounded write).
   */
  readonly handoverMs: number;
  readonly logger: Logger;
  /** Called whenever the lease is gained or lost. */
  readonly onChange?: (held: boolean) => void;
  readonly now?: () => number;
}

export interface GroupLease {
  /** Joins the group; resolves once the consumer runs (the lease may come later or never). */
  start(): Promise<void>;
  /** True while this member owns partition 0, has heard from the group lately, and waited out the handover. */
  isHeld(): boolean;
  /** Leaves the group, so that another member takes over at once. */
  stop(): Promise<void>;
}

/**
 * Leader election by membership of a Kafka consumer group: the member assigned
 * partition 0 of `topic` holds the lease. It works wherever the workers reach
 * Kafka (compose, Kubernetes, bare processes) and needs no other store. The group
 * coordinator hands partition 0 to a new member only after the previous owner
 * rejoined (it has seen the rebalance and let go here) or was evicted (its
 * session timed out, and a member that cannot reach Kafka lets go itself
 * before that: `heartbeatMarginMs`). The new holder then waits `handoverMs`.
 */
export function createGroupLease(options: GroupLeaseOptions): GroupLease {
  const { consumer, topic, logger } = options;
  const now = options.now ?? Date.now;
  // A heartbeat answered is as old as its round trip when we note it; leave the group that much earlier.
  const heartbeatMarginMs = Math.floor(options.sessionTimeoutMs / 5);
  let owner = false;
  let acquiredAt = 0;
  let lastContact = 0;
  let reported = false;

  const report = () => {
    const held = isHeld();
    if (held === reported) return;
    reported = held;
    logger.info({ topic, held }, held ? "lease acquired" : "lease lost");
    options.onChange?.(held);
  };
  const isHeld = () =>
    owner &&
    now() - lastContact < options.sessionTimeoutMs - heartbeatMarginMs &&
    now() - acquiredAt >= options.handoverMs;
  const letGo = () => {
    owner = false;
    report();
  };

  consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
    lastContact = now();
    const partitions = payload.memberAssignment[topic] ?? [];
    const assigned = partitions.includes(LEASE_PARTITION);
    if (assigned && !owner) acquiredAt = now();
    owner = assigned;
    logger.debug({ topic, partitions, memberId: payload.memberId }, "lease group joined");
    report();
    // Past the handover the lease is held without any event: look again then.
    if (assigned) setTimeout(report, options.handoverMs + 1).unref();
  });
  consumer.on(consumer.events.HEARTBEAT, () => {
    lastContact = now();
    report();
  });
  consumer.on(consumer.events.REBALANCING, letGo);
  consumer.on(consumer.events.STOP, letGo);
  consumer.on(consumer.events.CRASH, letGo);
  consumer.on(consumer.events.DISCONNECT, letGo);

  return {
    async start() {
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: false });
      // Nothing is read: membership is all that matters, and the fetch loop keeps it alive.
      await consumer.run({ autoCommit: false, eachBatch: async () => {} });
    },
    isHeld() {
      const held = isHeld();
      if (held !== reported) report();
      return held;
    },
    async stop() {
      owner = false;
      report();
      await consumer.disconnect();
    },
  };
}
