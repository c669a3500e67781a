import type { Message, Producer } from "kafkajs";

interface Pending {
  readonly message: Message;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Hands messages to Kafka in batches: while one produce request is under way the
 * next batch collects, so batches grow with load and latency stays one round
 * trip when idle. Each caller's promise settles when Kafka acknowledged its
 * batch (acks from all in-sync replicas).
 */
export class KafkaSink {
  readonly #producer: Producer;
  readonly #topic: string;
  #pending: Pending[] = [];
  #busy = false;
  #scheduled = false;

  constructor(producer: Producer, topic: string) {
    this.#producer = producer;
    this.#topic = topic;
  }

  send(message: Message): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#pending.push({ message, resolve, reject });
      if (!this.#busy && !this.#scheduled) {
        this.#scheduled = true;
        // Messages parsed from the same network read join one request.
        setImmediate(() => this.#flush());
      }
    });
  }

  #flush(): void {
    this.#scheduled = false;
    const batch = this.#pending;
    if (batch.length === 0) return;
    this.#pending = [];
    this.#busy = true;
    this.#producer
      .send({ topic: this.#topic, acks: -1, messages: batch.map((p) => p.message) })
      .then(
        () => {
          for (const p of batch) p.resolve();
        },
        async (error: unknown) => {
          if (batch.length === 1) return batch[0]?.reject(error);
          // One record Kafka refuses must not fail the others of its batch.
          await Promise.all(
            batch.map((p) =>
              this.#producer
                .send({ topic: this.#topic, acks: -1, messages: [p.message] })
                .then(() => p.resolve(), p.reject),
            ),
          );
        },
      )
      .finally(() => {
        this.#busy = false;
        this.#flush();
      });
  }
}
