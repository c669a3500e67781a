import { describe, expect, it } from "vitest";
import { deadLetterHeaders, deadLetterWithin, droppedValueHeader, SMALLEST_REQUEST_BYTES } from "./dead-letter.ts";
import { fitsInRequest, RECORD_BATCH_OVERHEAD, recordBytes } from "./record-size.ts";
import { RecordTooLargeError, requestsOf } from "./store-records.ts";

const record = (topic: string, n: number, bytes: number) => ({
  topic,
  message: { key: `device-${n % 3}`, value: Buffer.alloc(bytes, n) },
  n,
});

describe("splitting records into requests", () => {
  it("keeps their order and puts no more than the limit in a request", () => {
    const records = Array.from({ length: 200 }, (_, n) => record(n % 2 ? "a" : "b", n, 100 + ((n * 37) % 900)));
    const limit = 10_000;
    const { requests, tooLarge } = requestsOf(records, limit);
    expect(tooLarge).toEqual([]);
    expect(requests.flat().map((r) => r.n)).toEqual(records.map((r) => r.n));
    for (const request of requests) {
      expect(RECORD_BATCH_OVERHEAD + request.reduce((sum, r) => sum + recordBytes(r.message), 0)).toBeLessThanOrEqual(
        limit,
      );
    }
    // Full, not one record each: the next record did not fit in the request before it.
    for (const [i, request] of requests.slice(0, -1).entries()) {
      const next = requests[i + 1]?.[0];
      const used = RECORD_BATCH_OVERHEAD + request.reduce((sum, r) => sum + recordBytes(r.message), 0);
      expect(used + recordBytes(next?.message ?? { value: null })).toBeGreaterThan(limit);
    }
  });

  it("gives back a record that cannot fit even alone, and sends the rest", () => {
    const records = [record("a", 0, 100), record("a", 1, 20_000), record("a", 2, 100)];
    const { requests, tooLarge } = requestsOf(records, 16_384);
    expect(requests.flat().map((r) => r.n)).toEqual([0, 2]);
    expect(tooLarge.map((r) => r.n)).toEqual([1]);
    expect(tooLarge[0]?.error).toBeInstanceOf(RecordTooLargeError);
    expect(String(tooLarge[0]?.error)).toMatch(/KAFKA_MAX_REQUEST_BYTES/);
  });
});

describe("a dead letter cut to fit", () => {
  const reason = "x".repeat(20_000);
  const letter = {
    key: "air-0001",
    value: Buffer.alloc(300_000, 7),
    headers: {
      "stadtfluss.mqtt.topic": "ü".repeat(3_000),
      "stadtfluss.source": "city",
      [deadLetterHeaders.stage]: "decode",
      [deadLetterHeaders.message]: reason,
    },
  };

  it("stays whole when it fits", () => {
    expect(deadLetterWithin(letter, 1_000_000)).toBe(letter);
  });

  it("drops the value first, and says how large it was", () => {
    const cut = deadLetterWithin(letter, 100_000);
    expect(cut.value).toBeNull();
    expect(cut.headers?.[droppedValueHeader]).toBe("300000");
    expect(cut.headers?.[deadLetterHeaders.message]).toBe(reason);
    expect(fitsInRequest(cut, 100_000)).toBe(true);
  });

  it("then cuts long header values, marked, and fits the smallest request size even with many headers", () => {
    const cut = deadLetterWithin(letter, SMALLEST_REQUEST_BYTES);
    expect(fitsInRequest(cut, SMALLEST_REQUEST_BYTES)).toBe(true);
    expect(String(cut.headers?.[deadLetterHeaders.message])).toMatch(/^x{1000}… \(cut, 20000 bytes\)$/);
    expect(cut.headers?.["stadtfluss.source"]).toBe("city");

    const crowded = {
      ...letter,
      headers: {
        ...letter.headers,
        ...Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`h${i}`, "y".repeat(900)])),
      },
    };
    const kept = deadLetterWithin(crowded, SMALLEST_REQUEST_BYTES);
    expect(fitsInRequest(kept, SMALLEST_REQUEST_BYTES)).toBe(true);
    expect(Object.keys(kept.headers ?? {}).sort()).toEqual(
      [deadLetterHeaders.stage, deadLetterHeaders.message, droppedValueHeader].sort(),
    );
  });
});
