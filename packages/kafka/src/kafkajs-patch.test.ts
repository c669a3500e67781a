import { createRequire } from "node:module";
import fc from "fast-check";
import { describe, expect, it, vi } from "vitest";

// patches/kafkajs@2.2.4.patch changes how kafkajs encodes records and groups
// them by partition; these check the patched code on its own, since kafkajs
// exports no codec API (deep paths, as the patch itself names them).
const require = createRequire(import.meta.url);
const { RecordBatch } = require("kafkajs/src/protocol/recordBatch/v0/index.js");
const Record = require("kafkajs/src/protocol/recordBatch/record/v0/index.js");
const decodeRecordBatch = require("kafkajs/src/protocol/recordBatch/v0/decoder.js");
const Decoder = require("kafkajs/src/protocol/decoder.js");
const Encoder = require("kafkajs/src/protocol/encoder.js");
const groupMessagesPerPartition = require("kafkajs/src/producer/groupMessagesPerPartition.js");
const RequestQueue = require("kafkajs/src/network/requestQueue/index.js");
const crc32C = require("kafkajs/src/protocol/recordBatch/crc32C/crc32C.js") as (buffer: Buffer) => number;

/** CRC-32C bit by bit (reflected polynomial 0x82F63B78), as RFC 3720 defines it. */
function crc32CBitwise(buffer: Buffer): number {
  let crc = 0xffffffff;
  for (const byte of buffer) {
    crc ^= byte;
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

/** A zigzag varint of up to 64 bits, from Kafka's protocol guide, bit by bit in BigInt. */
function varlong(value: bigint): number[] {
  let zigzag = BigInt.asUintN(64, (value << 1n) ^ (value >> 63n));
  const bytes: number[] = [];
  while (zigzag >= 0x80n) {
    bytes.push(Number(zigzag & 0x7fn) | 0x80);
    zigzag >>= 7n;
  }
  return [...bytes, Number(zigzag)];
}

const bytesOf = (value: Buffer | string | null): number[] =>
  value === null ? varlong(-1n) : [...varlong(BigInt(Buffer.byteLength(value))), ...Buffer.from(value)];

interface SpecRecord {
  readonly offsetDelta: number;
  readonly timestampDelta: number;
  readonly key: Buffer | string | null;
  readonly value: Buffer | string | null;
  readonly headers: Record<string, string | Buffer | (string | Buffer)[]>;
}

/** A record as the protocol defines it (record format v2), written without any of kafkajs's code. */
function specRecord(record: SpecRecord): Buffer {
  const headers = Object.entries(record.headers).flatMap(([key, value]) =>
    (Array.isArray(value) ? value : [value]).map((item) => [...bytesOf(key), ...bytesOf(item)]),
  );
  const body = [
    0, // attributes
    ...varlong(BigInt(record.timestampDelta)),
    ...varlong(BigInt(record.offsetDelta)),
    ...bytesOf(record.key),
    ...bytesOf(record.value),
    ...varlong(BigInt(headers.length)),
    ...headers.flat(),
  ];
  return Buffer.from([...varlong(BigInt(body.length)), ...body]);
}

interface DecodedRecord {
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, Buffer | Buffer[]>;
  offset: string;
}

describe("kafkajs as patched", () => {
  it("encodes records whose headers and bodies are far smaller and far larger than its initial buffer", async () => {
    const sizes = [0, 1, 511, 512, 513, 4_096, 70_000];
    const records = sizes.map((size, i) => ({
      key: i % 2 === 0 ? null : Buffer.from(`gerät-${i}`),
      value: size === 0 ? null : Buffer.alloc(size, i + 1),
      headers: { "stadtfluss.source": "city", "x-size": "ü".repeat(size / 2), empty: "" },
    }));
    const encoder = await RecordBatch({
      records: records.map((r, offsetDelta) => Record({ offsetDelta, ...r })),
      lastOffsetDelta: records.length - 1,
    });
    const decoded: { records: DecodedRecord[] } = await decodeRecordBatch(new Decoder(encoder.buffer));

    expect(decoded.records).toHaveLength(records.length);
    decoded.records.forEach((got, i) => {
      const want = records[i];
      expect(got.offset).toBe(String(i));
      expect(got.key?.toString() ?? null).toBe(want?.key?.toString() ?? null);
      expect(got.value === null ? null : Buffer.compare(got.value, want?.value ?? Buffer.alloc(0))).toBe(
        want?.value === null ? null : 0,
      );
      expect(Object.fromEntries(Object.entries(got.headers).map(([k, v]) => [k, v.toString()]))).toEqual(want?.headers);
    });
  });

  it("decodes repeated headers as a list, and headers named like Object's own properties as headers", async () => {
    const encoder = await RecordBatch({
      records: [
        Record({
          key: "k",
          value: "v",
          headers: { tag: ["a", "b", "c"], once: "1", toString: "t", ["__proto__"]: "p" },
        }),
      ],
    });
    const [record]: DecodedRecord[] = (await decodeRecordBatch(new Decoder(encoder.buffer))).records;
    const headers = record?.headers ?? {};
    expect(Object.getPrototypeOf(headers)).toBe(Object.prototype);
    expect(Object.keys(headers).sort()).toEqual(["__proto__", "once", "tag", "toString"]);
    expect((headers.tag as Buffer[]).map(String)).toEqual(["a", "b", "c"]);
    expect(
      [headers.once, headers.toString, Object.getOwnPropertyDescriptor(headers, "__proto__")?.value].map(String),
    ).toEqual(["1", "t", "p"]);
  });

  it("writes varints at every length boundary, signed and unsigned", () => {
    const signed = [0, 1, -1, 63, -64, 64, 8_191, 8_192, 2 ** 20, 2 ** 27, 2 ** 30, 2 ** 31 - 1, -(2 ** 31)];
    const unsigned = [0, 127, 128, 16_383, 16_384, 2 ** 21, 2 ** 28, 2 ** 32 - 1];
    const encoder = new Encoder(1);
    for (const v of signed) encoder.writeVarInt(v);
    for (const v of unsigned) encoder.writeUVarInt(v);
    const decoder = new Decoder(encoder.buffer);
    expect(signed.map(() => decoder.readVarInt())).toEqual(signed);
    expect(unsigned.map(() => decoder.readUVarInt())).toEqual(unsigned);
    expect(decoder.canReadBytes(1)).toBe(false);
  });

  it("groups messages by partition, each once and in their order", () => {
    const messages = Array.from({ length: 5_000 }, (_, i) => ({ key: `device-${i % 37}`, value: String(i) }));
    const partitionMetadata = [0, 1, 2].map((partitionId) => ({ partitionId, leader: 0 }));
    const partitioner = ({ message }: { message: { key: string } }) => Number(message.key.split("-")[1]) % 3;
    const grouped: Record<string, { value: string }[]> = groupMessagesPerPartition({
      topic: "t",
      partitionMetadata,
      messages,
      partitioner,
    });

    expect(Object.keys(grouped).sort()).toEqual(["0", "1", "2"]);
    for (const [partition, group] of Object.entries(grouped)) {
      const values = group.map((m) => Number(m.value));
      expect(values).toEqual([...values].sort((a, b) => a - b));
      expect(values.every((v) => (v % 37) % 3 === Number(partition))).toBe(true);
    }
    expect(Object.values(grouped).flat()).toHaveLength(messages.length);
    expect(groupMessagesPerPartition({ topic: "t", partitionMetadata: [], messages, partitioner })).toEqual({});
  });

  describe("its request queue's check of pending requests", () => {
    const quiet = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
    const queueOf = (maxInFlightRequests = 1) =>
      new RequestQueue({ maxInFlightRequests, requestTimeout: 1_000, clientId: "t", broker: "b:1", logger: quiet });
    /** A request as Connection pushes it; `sent` counts what reached the socket. */
    const request = (queue: typeof RequestQueue, correlationId: number, sent: number[]) =>
      queue.push({
        entry: { apiKey: 1, apiName: "Fetch", apiVersion: 11, correlationId, resolve: () => {}, reject: () => {} },
        expectResponse: true,
        sendRequest: () => sent.push(correlationId),
      });

    it("sets no timer while nothing waits and nothing is throttled: unpatched, one ran every millisecond on every connection", () => {
      const warn = vi.spyOn(process, "emitWarning");
      const queue = queueOf();
      try {
        const sent: number[] = [];
        request(queue, 1, sent);
        queue.fulfillRequest({ correlationId: 1, size: 0, payload: Buffer.alloc(0) });
        queue.scheduleCheckPendingRequests();
        expect(sent).toEqual([1]);
        expect(queue.throttleCheckTimeoutId).toBeNull();
        // Node 24 warned on the negative delay the unpatched timer had.
        expect(warn.mock.calls.filter((call) => String(call[1]) === "TimeoutNegativeWarning")).toEqual([]);
      } finally {
        clearTimeout(queue.throttleCheckTimeoutId);
        warn.mockRestore();
      }
    });

    it("still sends a request that waited for a free slot once the one in flight is answered", () => {
      const queue = queueOf(1);
      const sent: number[] = [];
      try {
        request(queue, 1, sent);
        request(queue, 2, sent);
        expect(sent).toEqual([1]);
        queue.fulfillRequest({ correlationId: 1, size: 0, payload: Buffer.alloc(0) });
        expect(sent).toEqual([1, 2]);
      } finally {
        clearTimeout(queue.throttleCheckTimeoutId);
      }
    });

    it("still sends a request that waited out the broker's throttle, by a timer at its end", async () => {
      vi.useFakeTimers();
      const queue = queueOf(10);
      const sent: number[] = [];
      try {
        queue.maybeThrottle(50);
        request(queue, 1, sent);
        expect(sent).toEqual([]);
        expect(queue.throttleCheckTimeoutId).not.toBeNull();
        await vi.advanceTimersByTimeAsync(60);
        expect(sent).toEqual([1]);
      } finally {
        clearTimeout(queue.throttleCheckTimeoutId);
        vi.useRealTimers();
      }
    });
  });

  it("writes each record byte for byte as the protocol defines it, and a batch around them", async () => {
    const bytes = fc.oneof(
      fc.string({ unit: "grapheme", maxLength: 40 }),
      fc.uint8Array({ maxLength: 40 }).map(Buffer.from),
    );
    const record = fc.record({
      offsetDelta: fc.nat({ max: 2 ** 31 - 1 }),
      // Past 32 bits too: a delta of years in milliseconds takes the Long path.
      timestampDelta: fc.oneof(
        fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
        fc.maxSafeInteger(),
        fc.integer({ min: -1_000, max: 1_000 }),
      ),
      key: fc.option(bytes, { nil: null }),
      value: fc.option(bytes, { nil: null }),
      headers: fc.dictionary(
        fc.string({ unit: "grapheme", minLength: 1, maxLength: 20 }),
        fc.oneof(bytes, fc.array(bytes, { minLength: 1, maxLength: 3 })),
        { maxKeys: 8, noNullPrototype: true },
      ),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(record, { minLength: 1, maxLength: 8 }), async (records) => {
        for (const r of records) expect(Record(r).buffer).toEqual(specRecord(r));
        const encoder = await RecordBatch({
          records: records.map((r) => Record(r)),
          lastOffsetDelta: records.length - 1,
        });
        const batch: Buffer = encoder.buffer;
        const body = Buffer.concat(records.map(specRecord));
        // firstOffset, length, epoch, magic, crc, then the 40 bytes of the batch's header fields and the count.
        expect(batch.readBigInt64BE(0)).toBe(0n);
        expect(batch.readInt32BE(8)).toBe(batch.length - 12);
        expect(batch.readInt8(16)).toBe(2);
        expect(batch.readUInt32BE(17)).toBe(crc32CBitwise(batch.subarray(21)));
        expect(batch.readInt32BE(57)).toBe(records.length);
        expect(batch.subarray(61)).toEqual(body);
      }),
      { numRuns: 1_000 },
    );
  });

  it("writes large encoders into another by reference and joins them once, byte for byte as copying them", () => {
    const BY_REFERENCE: number = Encoder.BY_REFERENCE;
    // An encoder built of writes: bytes, an int, or another encoder (nested, as a
    // produce request nests its batches), each the same bytes copied in order.
    type Tree = { kind: "bytes"; bytes: Uint8Array } | { kind: "int"; value: number } | { kind: "nest"; items: Tree[] };
    const { tree } = fc.letrec<{ tree: Tree }>((tie) => ({
      tree: fc.oneof(
        { depthSize: "small", withCrossShrink: true },
        fc.record({
          kind: fc.constant("bytes" as const),
          // Around the threshold, and far past it, so that parts and copies mix.
          bytes: fc.oneof(
            fc.uint8Array({ maxLength: 40 }),
            fc.uint8Array({ minLength: BY_REFERENCE - 2, maxLength: BY_REFERENCE + 2 }),
            fc.uint8Array({ minLength: 3 * BY_REFERENCE, maxLength: 5 * BY_REFERENCE }),
          ),
        }),
        fc.record({ kind: fc.constant("int" as const), value: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }) }),
        fc.record({ kind: fc.constant("nest" as const), items: fc.array(tie("tree"), { maxLength: 5 }) }),
      ),
    }));
    const encode = (items: Tree[]) => {
      const encoder = new Encoder();
      for (const item of items) {
        if (item.kind === "bytes") encoder.writeBuffer(Buffer.from(item.bytes));
        else if (item.kind === "int") encoder.writeInt32(item.value);
        else encoder.writeEncoder(encode(item.items));
      }
      return encoder;
    };
    const expected = (items: Tree[]): Buffer =>
      Buffer.concat(
        items.map((item) => {
          if (item.kind === "bytes") return Buffer.from(item.bytes);
          if (item.kind !== "int") return expected(item.items);
          const int = Buffer.alloc(4);
          int.writeInt32BE(item.value);
          return int;
        }),
      );
    fc.assert(
      fc.property(fc.array(tree, { maxLength: 6 }), fc.array(tree, { maxLength: 3 }), (items, arrayItems) => {
        const encoder = encode(items);
        // writeArray of encoders as a request writes its topics and partitions; then more bytes after the parts.
        encoder.writeArray(arrayItems.map((item) => encode([item])));
        encoder.writeInt32(-1);
        const arrayBytes = Buffer.alloc(4);
        arrayBytes.writeInt32BE(arrayItems.length);
        const want = Buffer.concat([
          expected(items),
          arrayBytes,
          expected(arrayItems),
          Buffer.from([255, 255, 255, 255]),
        ]);
        expect(encoder.size()).toBe(want.length);
        expect(encoder.buffer).toEqual(want);
        // Joined once, then written on as one buffer.
        encoder.writeInt32(7);
        expect(encoder.buffer).toEqual(Buffer.concat([want, Buffer.from([0, 0, 0, 7])]));
      }),
      { numRuns: 500 },
    );
  });

  it("frames a produce request of large batches as the protocol does: the size, then header and body", async () => {
    const request = require("kafkajs/src/protocol/request.js");
    const produce = require("kafkajs/src/protocol/requests/produce/v3/request.js");
    const messages = (n: number, size: number) =>
      Array.from({ length: n }, (_, i) => ({ key: `gerät-${i}`, value: Buffer.alloc(size, i), timestamp: 1_000 + i }));
    const topicData = [
      {
        topic: "raw",
        partitions: [
          { partition: 0, messages: messages(40, 300) },
          { partition: 2, messages: messages(1, 10) },
        ],
      },
      { topic: "two", partitions: [{ partition: 1, messages: messages(3, 5_000) }] },
    ];
    const framed: Buffer = (
      await request({
        correlationId: 7,
        clientId: "stadtfluss",
        request: produce({ acks: -1, timeout: 30_000, compression: 0, topicData }),
      })
    ).buffer;
    expect(framed.readInt32BE(0)).toBe(framed.length - 4);
    const decoder = new Decoder(framed.subarray(4));
    expect([decoder.readInt16(), decoder.readInt16(), decoder.readInt32(), decoder.readString()]).toEqual([
      0,
      3,
      7,
      "stadtfluss",
    ]);
    expect([decoder.readString(), decoder.readInt16(), decoder.readInt32()]).toEqual([null, -1, 30_000]);
    const topics: { topic: string; partition: number; keys: string[] }[] = [];
    for (let t = decoder.readInt32(); t > 0; t--) {
      const topic = decoder.readString();
      for (let p = decoder.readInt32(); p > 0; p--) {
        const partition = decoder.readInt32();
        const batch = decoder.readBytes(decoder.readInt32());
        expect(batch.readUInt32BE(17)).toBe(crc32CBitwise(batch.subarray(21)));
        const decoded: { records: DecodedRecord[] } = await decodeRecordBatch(new Decoder(batch));
        topics.push({ topic, partition, keys: decoded.records.map((r) => String(r.key)) });
      }
    }
    expect(decoder.canReadBytes(1)).toBe(false);
    expect(topics).toEqual(
      topicData.flatMap(({ topic, partitions }) =>
        partitions.map(({ partition, messages: m }) => ({ topic, partition, keys: m.map((x) => x.key) })),
      ),
    );
  });

  it("checksums record batches with CRC-32C, eight bytes per step and every length's tail alike", () => {
    // RFC 3720's check value, and its test of 32 zero bytes.
    expect(crc32C(Buffer.from("123456789"))).toBe(0xe3069283);
    expect(crc32C(Buffer.alloc(32))).toBe(0x8a9136aa);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        expect(crc32C(Buffer.from(bytes))).toBe(crc32CBitwise(Buffer.from(bytes)));
      }),
      { numRuns: 2_000 },
    );
  });
});
