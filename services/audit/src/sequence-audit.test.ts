import { describe, expect, it } from "vitest";
import { auditSequences, type SequencePoint } from "./sequence-audit.ts";

const points = (device: string, seqs: readonly number[], start = 0): SequencePoint[] =>
  seqs.map((seq, i) => ({ device, seq, time: start + i * 1000 }));

describe("sequence audit", () => {
  it("finds nothing wrong in a complete sequence", () => {
    expect(auditSequences(points("a", [0, 1, 2, 3]))).toEqual([
      { device: "a", messages: 4, firstSeq: 0, lastSeq: 3, gaps: [], missing: 0, duplicates: [], restarts: 0 },
    ]);
  });

  it("reports missing sequence numbers as ranges", () => {
    const [audit] = auditSequences(points("a", [0, 1, 4, 5, 7]));
    expect(audit?.gaps).toEqual([
      [2, 3],
      [6, 6],
    ]);
    expect(audit?.missing).toBe(3);
  });

  it("counts the points of one message in several measurements once", () => {
    const message = { device: "a", seq: 0, time: 5 };
    expect(auditSequences([message, { ...message }, { device: "a", seq: 1, time: 6 }])[0]?.messages).toBe(2);
  });

  it("reports a sequence number stored at two times as a duplicate", () => {
    const [audit] = auditSequences(points("a", [0, 1, 1, 2]));
    expect(audit?.duplicates).toEqual([1]);
    expect(audit?.gaps).toEqual([]);
  });

  it("treats a counter that starts again as a restart, not as a gap", () => {
    const [audit] = auditSequences(points("a", [100, 101, 102, 0, 1, 3]));
    expect(audit?.restarts).toBe(1);
    expect(audit?.gaps).toEqual([[2, 2]]);
  });

  it("keeps devices apart and sorted", () => {
    const audits = auditSequences([...points("b", [0, 2]), ...points("a", [0, 1])]);
    expect(audits.map((a) => [a.device, a.missing])).toEqual([
      ["a", 0],
      ["b", 1],
    ]);
  });
});
