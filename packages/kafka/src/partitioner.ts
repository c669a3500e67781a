import type { ICustomPartitioner, PartitionerArgs } from "kafkajs";

/** Kafka's murmur2 seed and mixing constant (org.apache.kafka.common.utils.Utils.murmur2). */
const SEED = 0x9747b28c;
const M = 0x5bd1e995;

/**
 * Java's murmur2 of a key, in 32-bit arithmetic: what kafkajs's default
 * partitioner computes with 64-bit BigInt values of which it keeps only the low
 * 32 bits (a fifth of the normalizer's CPU in kafkajs went there).
 */
export function murmur2(key: Buffer | string): number {
  const data = typeof key === "string" ? Buffer.from(key) : key;
  const length = data.length;
  let h = SEED ^ length;
  const whole = length & ~3;
  for (let i = 0; i < whole; i += 4) {
    let k = (data[i] as number) | ((data[i + 1] as number) << 8) | ((data[i + 2] as number) << 16);
    k |= (data[i + 3] as number) << 24;
    k = Math.imul(k, M);
    k ^= k >>> 24;
    k = Math.imul(k, M);
    h = Math.imul(h, M) ^ k;
  }
  // The last one to three bytes, as Java's switch falls through them.
  const rest = length & 3;
  if (rest === 3) h ^= (data[whole + 2] as number) << 16;
  if (rest >= 2) h ^= (data[whole + 1] as number) << 8;
  if (rest >= 1) h = Math.imul(h ^ (data[whole] as number), M);
  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h | 0;
}

const toPositive = (x: number) => x & 0x7fffffff;

/**
 * kafkajs's DefaultPartitioner (Java's: a keyed record to murmur2(key) modulo the
 * partitions, so that a device lands where any other Kafka client puts it and its
 * readings stay in order; a record without a key round robin over the available
 * partitions), with murmur2 above instead of kafkajs's BigInt one.
 */
export const javaCompatiblePartitioner: ICustomPartitioner = () => {
  const counters = new Map<string, number>();
  return ({ topic, partitionMetadata, message }: PartitionerArgs) => {
    if (message.partition !== null && message.partition !== undefined) return message.partition;
    const partitions = partitionMetadata.length;
    if (message.key !== null && message.key !== undefined) return toPositive(murmur2(message.key)) % partitions;
    const counter = (counters.get(topic) ?? Math.floor(Math.random() * 2 ** 32)) + 1;
    counters.set(topic, counter);
    const available = partitionMetadata.filter((p) => p.leader >= 0);
    const chosen = available[toPositive(counter) % Math.max(1, available.length)];
    return chosen ? chosen.partitionId : toPositive(counter) % partitions;
  };
};
