import type { Message, Producer } from "kafkajs";

/**
 * Hands messages to Kafka in batches: everything submitted in the same turn of
 * the event loop goes out in one produce request, and each caller's promise
 * settles when Kafka acknowledged its batch (acks from all in-sync replicas).
 */
export class KafkaSink {
  readonly #producer: Producer;
  readonly #topic: string;
  #pending: { message: Message; resolve: () => void; reject: (error: unknown) => void }[] = [];
  #scheduled = false;

  constructor(producer: Producer, topic: string) {
    this.#producer = producer;
    this.#topic = topic;
  }

  send(message: Message): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#pending.push({ message, resolve, reject });
      if (!this.#scheduled) {
        this.#scheduled = true;
        setImmediate(() => this.#flush());
      }
    });
  }

  #flush(): void {
    const batch = this.#pending;
    this.#pending = [];
    this.#scheduled = false;
    this.#producer.send({ topic: this.#topic, acks: -1, messages: batch.map((p) => p.message) }).then(
      () => {
        for (const p of batch) p.resolve();
      },
      (error: unknown) => {
        for (const p of batch) p.reject(error);
      },
    );
  }
}
