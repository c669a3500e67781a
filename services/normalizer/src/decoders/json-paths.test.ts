import { DecodeError } from "@stadtfluss/errors";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { leaves, unmappedNumbers, valueAt } from "./json-paths.ts";

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

describe("unmappedNumbers", () => {
  it("lists the path of every number, however deep, that is not used, in the order leaves lists them", () => {
    expect(
      unmappedNumbers({ a: 1, b: { c: 2, d: "x", e: [3], f: { g: 4 } }, "": { h: 5 }, i: null }, new Set(["b.c"])),
    ).toEqual(["a", "b.f.g", ".h"]);
    expect(unmappedNumbers(JSON.parse('{"__proto__": 7, "a": {"__proto__": {"b": 2}}}'), new Set())).toEqual([
      "__proto__",
      "a.__proto__.b",
    ]);
  });

  it("equals leaves filtered to the numbers not used, for any JSON object and any paths used", () => {
    // Keys a walk over an object can trip on among the random ones: "__proto__" (an own key of JSON.parse's object), "".
    const key = fc.oneof(fc.string({ maxLength: 3 }), fc.constantFrom("__proto__", "constructor", ""));
    const object = fc.dictionary(key, fc.jsonValue({ maxDepth: 4 }));
    fc.assert(
      fc.property(object, fc.array(fc.string({ maxLength: 7 })), (value, extra) => {
        // JSON.parse's own objects, as the decoder gets them.
        const json = JSON.parse(JSON.stringify(value)) as Record<string, unknown>;
        const all = leaves(json);
        const used = new Set([...extra, ...all.filter((_, i) => i % 3 === 0).map(([path]) => path)]);
        const expected = all
          .filter(([path, leaf]) => typeof leaf === "number" && !used.has(path))
          .map(([path]) => path);
        expect(unmappedNumbers(json, used)).toEqual(expected);
      }),
      { numRuns: 2_000 },
    );
  });

  it("refuses nesting deeper than any device sends, as leaves does", () => {
    const nested = JSON.parse(`${'{"a":'.repeat(10_000)}1${"}".repeat(10_000)}`);
    expect(() => unmappedNumbers(nested, new Set())).toThrow(/^payload nests deeper than 64 levels \(at a\.a\.a/);
  });
});

describe("valueAt with the same path again", () => {
  it("reads each object by the path's own segments, however many paths came before", () => {
    for (let i = 0; i < 10_050; i++) expect(valueAt({ [`k${i}`]: { v: i } }, `k${i}.v`)).toBe(i);
    expect(valueAt({ k5: { v: "again" } }, "k5.v")).toBe("again");
  });
});
