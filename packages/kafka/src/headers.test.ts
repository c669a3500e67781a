import { describe, expect, it } from "vitest";
import { headerString, repeatedHeaderString } from "./headers.ts";

describe("repeatedHeaderString", () => {
  it("reads what headerString reads, and returns the same string for the same bytes", () => {
    const name = `test.${Math.random()}`;
    const first = repeatedHeaderString({ [name]: Buffer.from("musterstadt") }, name);
    const again = repeatedHeaderString({ [name]: Buffer.from("musterstadt") }, name);
    expect(first).toBe("musterstadt");
    expect(again).toBe(first);
    // Same length, one byte changed; then a string, a list, an absent header.
    expect(repeatedHeaderString({ [name]: Buffer.from("musterstadz") }, name)).toBe("musterstadz");
    expect(repeatedHeaderString({ [name]: "nachbarstadt" }, name)).toBe("nachbarstadt");
    expect(repeatedHeaderString({ [name]: [Buffer.from("a"), Buffer.from("b")] }, name)).toBe("a");
    expect(repeatedHeaderString({}, name)).toBeUndefined();
    expect(repeatedHeaderString(undefined, name)).toBeUndefined();
    const long = "x".repeat(500);
    expect(repeatedHeaderString({ [name]: Buffer.from(long) }, name)).toBe(headerString({ [name]: long }, name));
  });

  it("keeps a copy of the bytes: a fetch buffer written over later does not change what it compares with", () => {
    const name = `test.${Math.random()}`;
    const fetched = Buffer.from("tenant=city-a");
    const view = fetched.subarray(7);
    expect(repeatedHeaderString({ [name]: view }, name)).toBe("city-a");
    fetched.write("city-b", 7);
    expect(repeatedHeaderString({ [name]: view }, name)).toBe("city-b");
  });
});
