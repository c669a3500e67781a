import type { Message } from "kafkajs";

/**
 * The fixed part of a record batch (v2): the 61-byte header, which holds the
 * 12 bytes of offset and length that Kafka's message.max.bytes counts too.
 */
export const RECORD_BATCH_OVERHEAD = 61;

/** The most a record's varints can take besides its key, value and headers: length, attributes, deltas, lengths, count. */
const RECORD_FIXED_MAX = 5 + 1 + 10 + 5 + 5 + 5 + 5;
/** The most a header's two length varints can take. */
const HEADER_FIXED_MAX = 5 + 5;

export function byteLength(data: Buffer | string | null | undefined): number {
  if (data === null || data === undefined) return 0;
  return typeof data === "string" ? Buffer.byteLength(data) : data.length;
}

/**
 * What a message takes at most inside a record batch, uncompressed: never less
 * than kafkajs encodes, so records summed with this fit where Kafka counts.
 */
export function recordBytes(message: Message): number {
  return recordBytesCounting(message, byteLength);
}

/** At least byteLength: a UTF-16 code unit takes at most 3 bytes in UTF-8. */
const byteLengthAtMost = (data: Buffer | string | null | undefined): number =>
  typeof data === "string" ? 3 * data.length : byteLength(data);

/** Whether a message fits in a request of `maxRequestBytes` on its own. */
export function fitsInRequest(message: Message, maxRequestBytes: number): boolean {
  // Checked for every record: counted exactly (a scan of each string) only near the limit.
  return (
    RECORD_BATCH_OVERHEAD + recordBytesCounting(message, byteLengthAtMost) <= maxRequestBytes ||
    RECORD_BATCH_OVERHEAD + recordBytes(message) <= maxRequestBytes
  );
}

/** recordBytes with the bytes of each key, value, header name and header value counted by `lengthOf`. */
function recordBytesCounting(message: Message, lengthOf: (data: Buffer | string | null | undefined) => number): number {
  let bytes = RECORD_FIXED_MAX + lengthOf(message.key) + lengthOf(message.value);
  for (const [name, value] of Object.entries(message.headers ?? {})) {
    const values = Array.isArray(value) ? value : [value];
    for (const one of values) bytes += HEADER_FIXED_MAX + lengthOf(name) + lengthOf(one);
  }
  return bytes;
}
