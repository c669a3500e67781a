import { type ICustomPartitioner, Partitioners } from "kafkajs";

/** Keys remembered at most; then the memory starts afresh (a city's devices fit many times over). */
const MAX_KEYS = 100_000;

/**
 * kafkajs's DefaultPartitioner (Java's murmur2), remembering the partition of each
 * string key. A keyed message's partition depends only on its key and the topic's
 * partition count, yet kafkajs hashes the key and filters the partition list for
 * every message: in the bridge's profile that was about 6 % of its CPU, for a
 * thousand devices sending again and again. The memory is per topic and starts
 * afresh when a topic's partition count changes.
 */
export const RememberingPartitioner: ICustomPartitioner = () => {
  const partition = Partitioners.DefaultPartitioner();
  const byTopic = new Map<string, { partitions: number; byKey: Map<string, number> }>();
  return (args) => {
    const { topic, partitionMetadata, message } = args;
    if (message.partition !== null && message.partition !== undefined) return message.partition;
    if (typeof message.key !== "string") return partition(args);
    let memory = byTopic.get(topic);
    if (!memory || memory.partitions !== partitionMetadata.length || memory.byKey.size >= MAX_KEYS) {
      memory = { partitions: partitionMetadata.length, byKey: new Map() };
      byTopic.set(topic, memory);
    }
    let chosen = memory.byKey.get(message.key);
    if (chosen === undefined) {
      chosen = partition(args);
      memory.byKey.set(message.key, chosen);
    }
    return chosen;
  };
};
