import type { Message, Producer } from "@stadtfluss/kafka";
import { sendUntilStored } from "@stadtfluss/kafka";

/** Called once per message: without an argument when Kafka has it, with the error when Kafka refused it for good. */
export type Settle = (error?: unknown) => void;

interface Pending {
  readonly message: Message;
  readonly settle: Settle;
}

export interface KafkaSinkOptions {
  /**
   * How long the first message of a batch waits for others; 0: only for those
   * parsed from the same network read. Every stage after the bridge pays its
   * round trips (fetch, produce or write, commit) per batch, so a batch worth
   * this much traffic is what lets them keep up at any rate.
   */
  readonly lingerMs?: number;
  /**
   * A batch this large goes at once, and no request carries more: kafkajs groups
   * a request's messages by partition in time quadratic in their number, and
   * Kafka refuses a partition's batch above message.max.bytes (1 MB by default).
   */
  readonly maxBatch?: number;
  /** Each failed attempt while Kafka is unavailable; the batch is sent again. */
  readonly onRetry?: (error: unknown, attempt: number) => void;
  /** Each batch Kafka acknowledged: its messages, and the seconds from its first attempt until the acknowledgement. */
  readonly onStored?: (messages: number, seconds: number) => void;
}

/**
 * Hands messages to Kafka in batches: one produce request at a time, and while
 * it is under way (or for `lingerMs` after the first message when idle) the next
 * batch collects, so batches grow with load. Each message settles when Kafka
 * acknowledged its batch (acks from all in-sync replicas).
 */
export class KafkaSink {
  readonly #producer: Producer;
  readonly #topic: string;
  readonly #lingerMs: number;
  readonly #maxBatch: number;
  readonly #onRetry: ((error: unknown, attempt: number) => void) | undefined;
  readonly #onStored: ((messages: number, seconds: number) => void) | undefined;
  #pending: Pending[] = [];
  #firstPendingAt = 0;
  #busy = false;
  #timer: NodeJS.Timeout | undefined;
  #immediate: NodeJS.Immediate | undefined;

  constructor(producer: Producer, topic: string, options: KafkaSinkOptions = {}) {
    this.#producer = producer;
    this.#topic = topic;
    this.#lingerMs = options.lingerMs ?? 0;
    this.#maxBatch = options.maxBatch ?? 2_000;
    this.#onRetry = options.onRetry;
    this.#onStored = options.onStored;
  }

  /** As `add`, as a promise: resolves when Kafka has the message, rejects when it refused it. */
  send(message: Message): Promise<void> {
    return new Promise((resolve, reject) =>
      this.add(message, (error) => (error === undefined ? resolve() : reject(error))),
    );
  }

  /**
   * Queues a message for the next batch; `settle` is called once Kafka has it or
   * refused it. A callback rather than a promise: at tens of thousands of
   * messages a second the bridge's per-message promises were a cost of their own.
   */
  add(message: Message, settle: Settle): void {
    if (this.#pending.length === 0) this.#firstPendingAt = performance.now();
    this.#pending.push({ message, settle });
    if (this.#busy) return;
    if (this.#pending.length >= this.#maxBatch) this.#flush();
    else if (this.#lingerMs === 0) this.#immediate ??= setImmediate(() => this.#flush());
    else this.#timer ??= setTimeout(() => this.#flush(), this.#lingerMs);
  }

  #flush(): void {
    clearTimeout(this.#timer);
    clearImmediate(this.#immediate);
    this.#timer = undefined;
    this.#immediate = undefined;
    if (this.#pending.length === 0) return;
    const batch = this.#pending.splice(0, this.#maxBatch);
    if (this.#pending.length > 0) this.#firstPendingAt = performance.now() - this.#lingerMs;
    this.#busy = true;
    const send = (messages: Message[]) => () => this.#producer.send({ topic: this.#topic, acks: -1, messages });
    const started = performance.now();
    const stored = (messages: number) => this.#onStored?.(messages, (performance.now() - started) / 1000);
    // Kafka unavailable: the same batch again, however long it takes (the
    // callers' PUBACKs wait). Only records Kafka refuses are given back as errors.
    const messages: Message[] = new Array(batch.length);
    for (let i = 0; i < batch.length; i++) messages[i] = (batch[i] as Pending).message;
    sendUntilStored(send(messages), this.#onRetry)
      .then(
        () => {
          stored(batch.length);
          for (const p of batch) p.settle();
        },
        async (error: unknown) => {
          if (batch.length === 1) return batch[0]?.settle(error);
          // One record Kafka refuses must not fail the others of its batch.
          await Promise.all(
            batch.map((p) =>
              sendUntilStored(send([p.message]), this.#onRetry).then(
                () => {
                  stored(1);
                  p.settle();
                },
                (refused: unknown) => p.settle(refused),
              ),
            ),
          );
        },
      )
      .finally(() => {
        this.#busy = false;
        if (this.#pending.length === 0) return;
        // What collected meanwhile has waited long enough, or waits out the rest of its linger.
        const waited = performance.now() - this.#firstPendingAt;
        if (waited >= this.#lingerMs || this.#pending.length >= this.#maxBatch) this.#flush();
        else this.#timer = setTimeout(() => this.#flush(), this.#lingerMs - waited);
      });
  }
}
