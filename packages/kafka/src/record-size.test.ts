import { createRequire } from "node:module";
import type { Message } from "kafkajs";
import { describe, expect, it } from "vitest";
import { fitsInRequest, RECORD_BATCH_OVERHEAD, recordBytes } from "./record-size.ts";

// kafkajs's own encoder, as a produce request builds a partition's batch (deep
// paths: kafkajs exports no codec API).
const require = createRequire(import.meta.url);
const { RecordBatch } = require("kafkajs/src/protocol/recordBatch/v0/index.js");
const Record = require("kafkajs/src/protocol/recordBatch/record/v0/index.js");

async function encodedBatchBytes(messages: Message[]): Promise<number> {
  const timestamps = messages.map((m) => Number(m.timestamp ?? 0));
  const first = Math.min(...timestamps);
  const batch = await RecordBatch({
    records: messages.map((m, offsetDelta) =>
      Record({ ...m, offsetDelta, timestampDelta: Number(m.timestamp ?? 0) - first }),
    ),
    firstTimestamp: first,
    maxTimestamp: Math.max(...timestamps),
    lastOffsetDelta: messages.length - 1,
  });
  return batch.buffer.length;
}

const messages: Message[] = [
  { key: null, value: null },
  { key: "air-0001", value: '{"kind":"air.pm10"}', headers: { "content-type": "stadtfluss.observation.v1" } },
  { key: Buffer.from("zähler-ü"), value: "ä".repeat(70_000), headers: { tag: ["a", "bb", "ccc"], leer: "" } },
  { key: "k", value: Buffer.alloc(300_000, 1), timestamp: String(2 ** 40), headers: { b: Buffer.alloc(5_000) } },
  { key: "k", value: "x", timestamp: "0" },
];

describe("a record's size in a record batch", () => {
  it("is never less than kafkajs encodes, alone or together, and close to it", async () => {
    for (const message of messages) {
      const encoded = await encodedBatchBytes([{ timestamp: "0", ...message }]);
      expect(RECORD_BATCH_OVERHEAD + recordBytes(message)).toBeGreaterThanOrEqual(encoded);
      expect(RECORD_BATCH_OVERHEAD + recordBytes(message) - encoded).toBeLessThanOrEqual(60);
    }
    const all = messages.map((m, i) => ({ timestamp: String(i * 1_000_003), ...m }));
    const estimated = RECORD_BATCH_OVERHEAD + all.reduce((sum, m) => sum + recordBytes(m), 0);
    expect(estimated).toBeGreaterThanOrEqual(await encodedBatchBytes(all));
  });

  it("decides whether a record fits in a request on its own, to the byte", () => {
    for (const message of [...messages, { key: "k", value: Buffer.alloc(10_000) }]) {
      const exact = RECORD_BATCH_OVERHEAD + recordBytes(message);
      expect(fitsInRequest(message, exact)).toBe(true);
      expect(fitsInRequest(message, exact - 1)).toBe(false);
      // Far from the limit, where the cheaper bound decides.
      expect(fitsInRequest(message, 4 * exact)).toBe(true);
    }
  });
});
