import { type Kafka, Partitioners, type Producer } from "kafkajs";

/**
 * An idempotent producer (acks from all in-sync replicas) that retries without a
 * limit: kafkajs's default gives up after 5 attempts even when idempotent, and a
 * send that gives up loses its messages. Waits stay short (maxRetryTime) so that a
 * broker coming back is noticed within a second.
 */
export function createProducer(kafka: Kafka): Producer {
  return kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: true,
    // Java's murmur2 partitioner: a device lands on the same partition as with
    // any other Kafka client, which keeps its readings in order.
    createPartitioner: Partitioners.DefaultPartitioner,
    retry: { retries: Number.MAX_SAFE_INTEGER, initialRetryTime: 100, maxRetryTime: 1_000 },
  });
}
