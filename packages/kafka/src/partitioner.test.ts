import fc from "fast-check";
import { Partitioners } from "kafkajs";
import { describe, expect, it } from "vitest";
import { javaCompatiblePartitioner, murmur2 } from "./partitioner.ts";

const metadata = (count: number, leaderless: readonly number[] = []) =>
  Array.from({ length: count }, (_, partitionId) => ({
    partitionErrorCode: 0,
    partitionId,
    leader: leaderless.includes(partitionId) ? -1 : 0,
    replicas: [0],
    isr: [0],
  }));

const key = fc.oneof(
  fc.string({ unit: "grapheme", maxLength: 40 }),
  fc.string({ maxLength: 12 }),
  fc.uint8Array({ maxLength: 64 }).map((bytes) => Buffer.from(bytes)),
);

describe("javaCompatiblePartitioner", () => {
  it("puts every keyed record on the partition kafkajs's default partitioner chooses", () => {
    const ours = javaCompatiblePartitioner();
    const theirs = Partitioners.DefaultPartitioner();
    fc.assert(
      fc.property(key, fc.integer({ min: 1, max: 1_000 }), (k, count) => {
        const args = { topic: "t", partitionMetadata: metadata(count), message: { key: k, value: null } };
        expect(ours(args)).toBe(theirs(args));
      }),
      { numRuns: 5_000 },
    );
  });

  it("hashes keys as Kafka's Java client does", () => {
    // Utils.murmur2 of the Java client (its own tests' vectors).
    expect(murmur2("21")).toBe(-973932308);
    expect(murmur2("foobar")).toBe(-790332482);
    expect(murmur2("a-little-bit-long-string")).toBe(-985981536);
    expect(murmur2("a-little-bit-longer-string")).toBe(-1486304829);
    expect(murmur2("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8")).toBe(-58897971);
    expect(murmur2(Buffer.from([97, 98, 99]))).toBe(479470107);
  });

  it("keeps a record's own partition and spreads keyless records over the partitions that have a leader", () => {
    const partition = javaCompatiblePartitioner();
    expect(
      partition({ topic: "t", partitionMetadata: metadata(6), message: { key: "dev-1", value: null, partition: 4 } }),
    ).toBe(4);
    const chosen = new Set(
      Array.from({ length: 40 }, () =>
        partition({ topic: "t", partitionMetadata: metadata(4, [1, 2]), message: { key: null, value: null } }),
      ),
    );
    expect([...chosen].sort()).toEqual([0, 3]);
  });
});
