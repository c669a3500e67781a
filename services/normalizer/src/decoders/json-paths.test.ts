import { DecodeError } from "@stadtfluss/errors";
import { describe, expect, it } from "vitest";
import { leaves, valueAt } from "./json-paths.ts";

describe("valueAt", () => {
  it("follows a dotted path into nested objects", () => {
    expect(valueAt({ SML: { Total_in: 1.5 } }, "SML.Total_in")).toBe(1.5);
  });

  it("follows an empty segment into an object named by the empty string", () => {
    expect(valueAt({ "": { Total_in: 2173.5 } }, ".Total_in")).toBe(2173.5);
  });

  it("gives undefined where the path leads nowhere or into an array", () => {
    expect(valueAt({ SML: { Total_in: 1 } }, "SML.Total_out")).toBeUndefined();
    expect(valueAt({ SML: [1, 2] }, "SML.0")).toBeUndefined();
    expect(valueAt({ SML: { toString: 1 } }, "SML.constructor")).toBeUndefined();
  });
});

describe("leaves", () => {
  it("lists every leaf with its path, arrays and null included", () => {
    expect(leaves({ Time: "t", SML: { Total_in: 1, Phases: [1, 2] }, "": { x: null } })).toEqual([
      ["Time", "t"],
      ["SML.Total_in", 1],
      ["SML.Phases", [1, 2]],
      [".x", null],
    ]);
  });

  it("refuses nesting deeper than any device sends instead of overflowing the stack", () => {
    const nested = (depth: number) => JSON.parse(`${'{"a":'.repeat(depth)}1${"}".repeat(depth)}`);
    expect(leaves(nested(20))).toEqual([[Array(20).fill("a").join("."), 1]]);
    expect(() => leaves(nested(10_000))).toThrow(DecodeError);
    expect(() => leaves(nested(10_000))).toThrow(/^payload nests deeper than 64 levels \(at a\.a\.a/);
  });
});
