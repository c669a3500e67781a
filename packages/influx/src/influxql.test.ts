import { kinds } from "@stadtfluss/schemas";
import { describe, expect, it } from "vitest";
import { quoteIdentifier, quoteString, seriesRows } from "./influxql.ts";
import { measurements } from "./measurements.ts";

describe("InfluxQL quoting", () => {
  it("double-quotes identifiers and escapes quotes and backslashes in them", () => {
    expect(quoteIdentifier("traffic")).toBe('"traffic"');
    expect(quoteIdentifier('we"ird\\name')).toBe('"we\\"ird\\\\name"');
  });

  it("single-quotes strings and escapes quotes and backslashes in them", () => {
    expect(quoteString("2026-11-25T00:00:00.000Z")).toBe("'2026-11-25T00:00:00.000Z'");
    expect(quoteString("it's a\\b")).toBe("'it\\'s a\\\\b'");
  });
});

describe("seriesRows", () => {
  it("gives one row per value row, with the series' tags and the columns by name", () => {
    const rows = seriesRows([
      {
        name: "traffic",
        tags: { device: "a" },
        columns: ["time", "seq"],
        values: [
          [1, 0],
          [2, null],
        ],
      },
      { name: "traffic", columns: ["time", "seq"], values: [[3, 7]] },
    ]);
    expect(rows).toEqual([
      { device: "a", time: 1, seq: 0 },
      { device: "a", time: 2, seq: null },
      { time: 3, seq: 7 },
    ]);
  });
});

describe("measurements", () => {
  it("holds the domain of every kind in the catalogue once", () => {
    const domains = Object.keys(kinds).map((kind) => kind.split(".")[0]);
    expect(new Set(measurements)).toEqual(new Set(domains));
    expect(measurements).toHaveLength(new Set(domains).size);
    expect(measurements).toContain("heat");
  });
});
