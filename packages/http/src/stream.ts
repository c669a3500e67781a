import { Readable } from "node:stream";
import type { FastifyReply } from "fastify";

/**
 * Sends text chunks as they are produced: the body is pulled from `chunks` only
 * as fast as the client reads (Readable.from keeps backpressure), so a large
 * answer never sits in memory whole. Once the first chunk is out the status is
 * sent; an error after that cuts the response short, which the client sees as
 * an incomplete body rather than a wrong one.
 */
export function sendStream(reply: FastifyReply, contentType: string, chunks: AsyncIterable<string>): FastifyReply {
  return reply.type(contentType).send(Readable.from(chunks, { objectMode: false }));
}

/**
 * A JSON document whose one array is streamed: `{...head, "<key>": [item, item, ...]}`.
 * `head` is written first, every item as it comes.
 */
export async function* jsonArrayDocument<T>(
  head: Readonly<Record<string, unknown>>,
  key: string,
  items: AsyncIterable<T> | Iterable<T>,
): AsyncGenerator<string> {
  const opening = JSON.stringify({ ...head, [key]: [] });
  yield `${opening.slice(0, -2)}`;
  let first = true;
  for await (const item of items) {
    yield `${first ? "" : ","}${JSON.stringify(item)}`;
    first = false;
  }
  yield "]}";
}
