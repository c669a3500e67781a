import { describe, expect, it } from "vitest";
import { EXCERPT_CHARS, excerpt, REASON_CHARS, reasonOf } from "./index.ts";

describe("excerpt", () => {
  it("leaves text within the bound as it is", () => {
    expect(excerpt("air.pm10")).toBe("air.pm10");
    expect(excerpt("x".repeat(EXCERPT_CHARS))).toBe("x".repeat(EXCERPT_CHARS));
  });

  it("cuts longer text and says how long it was", () => {
    const quoted = excerpt("k".repeat(200_000));
    expect(quoted).toBe(`${"k".repeat(EXCERPT_CHARS)}…[cut, 200000 chars]`);
  });

  it("takes a smaller bound where a reason has less room", () => {
    expect(excerpt("abcdefgh", 3)).toBe("abc…[cut, 8 chars]");
  });

  it("never splits a character made of two UTF-16 units", () => {
    const quoted = excerpt(`ab${"😀".repeat(10)}`, 3);
    expect(quoted).toBe("ab…[cut, 22 chars]");
    expect(Buffer.from(quoted, "utf8").toString("utf8")).toBe(quoted);
  });
});

describe("reasonOf", () => {
  it("bounds the message of an error, and of anything else thrown", () => {
    expect(reasonOf(new Error("short"))).toBe("short");
    expect(reasonOf(new Error("e".repeat(5_000_013)))).toHaveLength(REASON_CHARS + "…[cut, 5000013 chars]".length);
    expect(reasonOf("t".repeat(REASON_CHARS + 1))).toMatch(/…\[cut, 1001 chars\]$/);
  });
});
