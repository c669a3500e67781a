import fc from "fast-check";
import { Partitioners, type PartitionMetadata } from "kafkajs";
import { describe, expect, it } from "vitest";
import { RememberingPartitioner } from "./partitioner.ts";

const partitions = (n: number, leaderless = -1): PartitionMetadata[] =>
  Array.from({ length: n }, (_, id) => ({
    partitionErrorCode: 0,
    partitionId: id,
    leader: id === leaderless ? -1 : 0,
    replicas: [0],
    isr: [0],
  }));

describe("remembering partitioner", () => {
  it("chooses the partition kafkajs's DefaultPartitioner chooses for every keyed message, across partition counts", () => {
    const remembering = RememberingPartitioner();
    const reference = Partitioners.DefaultPartitioner();
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            key: fc.oneof(fc.string(), fc.constantFrom("dev-0001", "dev-0042", "")),
            count: fc.integer({ min: 1, max: 64 }),
            topic: fc.constantFrom("raw", "observations"),
          }),
          { minLength: 1, maxLength: 50 },
        ),
        (messages) => {
          for (const { key, count, topic } of messages) {
            const args = { topic, partitionMetadata: partitions(count, count - 1), message: { key, value: null } };
            expect(remembering(args)).toBe(reference(args));
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  it("keeps an explicit partition and leaves messages without a string key to kafkajs", () => {
    const remembering = RememberingPartitioner();
    const metadata = partitions(4);
    expect(
      remembering({ topic: "raw", partitionMetadata: metadata, message: { key: "dev-1", value: null, partition: 3 } }),
    ).toBe(3);
    const reference = Partitioners.DefaultPartitioner();
    const buffer = { key: Buffer.from("dev-1"), value: null };
    expect(remembering({ topic: "raw", partitionMetadata: metadata, message: buffer })).toBe(
      reference({ topic: "raw", partitionMetadata: metadata, message: buffer }),
    );
    // Without a key kafkajs goes round the partitions: more than one is chosen.
    const chosen = new Set(
      Array.from({ length: 8 }, () =>
        remembering({ topic: "raw", partitionMetadata: metadata, message: { value: null } }),
      ),
    );
    expect(chosen.size).toBeGreaterThan(1);
  });
});
