import { describe, expect, it } from "vitest";
import { decodeCursor, encodeCursor } from "./cursor.ts";

describe("the observations cursor", () => {
  it("round-trips and refuses anything it did not make", () => {
    const cursor = { time: 1_700_000_000_000, skip: 3 };
    expect(decodeCursor(encodeCursor(cursor))).toEqual(cursor);
    expect(decodeCursor("not-a-cursor")).toBeUndefined();
    expect(decodeCursor(Buffer.from("[1,0]").toString("base64url"))).toBeUndefined();
    expect(decodeCursor(Buffer.from('{"a":1}').toString("base64url"))).toBeUndefined();
  });
});
