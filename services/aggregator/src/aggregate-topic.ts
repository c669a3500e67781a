import { StadtflussError } from "@stadtfluss/errors";
import { type Producer, requestsOf } from "@stadtfluss/kafka";
import { type Aggregate, aggregateRecord } from "./aggregate.ts";

/** Where aggregates also go for streaming consumers (AGGREGATOR_TOPIC). */
export interface AggregateTopic {
  start(): Promise<void>;
  /** Resolves once Kafka stored every record (acks from all in-sync replicas). */
  publish(tenant: string, aggregates: readonly Aggregate[]): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Sends each aggregate as a JSON record keyed by what identifies it, after
 * InfluxDB stored it. A send that fails fails the run, which the next run repeats
 * from the marker: at least once, and a repeated record has the same key and value.
 * No endless retry here: a run must not hold on past the lease.
 */
export function createAggregateTopic(producer: Producer, topic: string, maxRequestBytes: number): AggregateTopic {
  return {
    start: () => producer.connect(),
    async publish(tenant, aggregates) {
      const records = aggregates.map((aggregate) => ({
        topic,
        message: { ...aggregateRecord(tenant, aggregate), headers: { "content-type": "application/json" } },
      }));
      const { requests, tooLarge } = requestsOf(records, maxRequestBytes);
      if (tooLarge[0]) throw new StadtflussError("aggregate record too large for Kafka", { cause: tooLarge[0].error });
      for (const request of requests) {
        await producer.send({ topic, acks: -1, messages: request.map((record) => record.message) });
      }
    },
    stop: () => producer.disconnect(),
  };
}
