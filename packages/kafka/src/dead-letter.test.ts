import { REASON_CHARS } from "@stadtfluss/errors";
import { describe, expect, it } from "vitest";
import { deadLetter, deadLetterHeaders } from "./dead-letter.ts";
import { headerString } from "./headers.ts";

const message = { key: Buffer.from("meter-0007"), value: Buffer.from("{}"), headers: {}, offset: "41" };

describe("deadLetter", () => {
  it("keeps the record and says where and why it failed", () => {
    const letter = deadLetter({
      worker: "normalizer",
      stage: "decode",
      error: new TypeError("payload is not JSON"),
      topic: "stadtfluss.raw",
      partition: 3,
      message,
    });
    expect(letter.value).toBe(message.value);
    expect(headerString(letter.headers, deadLetterHeaders.offset)).toBe("41");
    expect(headerString(letter.headers, deadLetterHeaders.errorClass)).toBe("TypeError");
    expect(headerString(letter.headers, deadLetterHeaders.message)).toBe("payload is not JSON");
  });

  it("bounds the reason whatever the error quotes", () => {
    const letter = deadLetter({
      worker: "normalizer",
      stage: "decode",
      error: new Error(`codec error: ${"x".repeat(5_000_000)}`),
      topic: "stadtfluss.raw",
      partition: 0,
      message,
    });
    const reason = headerString(letter.headers, deadLetterHeaders.message) ?? "";
    expect(reason.startsWith("codec error: xxx")).toBe(true);
    expect(reason).toMatch(/…\[cut, 5000013 chars\]$/);
    expect(reason.length).toBeLessThanOrEqual(REASON_CHARS + 30);
  });
});
