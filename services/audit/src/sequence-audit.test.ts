import { describe, expect, it } from "vitest";
import { auditSequences, type SequencePoint } from "./sequence-audit.ts";

const points = (device: string, seqs: readonly number[], start = 0, tenant = "musterstadt", source = "city") =>
  seqs.map((seq, i): SequencePoint => ({ tenant, source, device, seq, time: start + i * 1000 }));

describe("sequence audit", () => {
  it("finds nothing wrong in a complete sequence", () => {
    expect(auditSequences(points("a", [0, 1, 2, 3]))).toEqual([
      {
        tenant: "musterstadt",
        source: "city",
        device: "a",
        messages: 4,
        firstSeq: 0,
        lastSeq: 3,
        gaps: [],
        missing: 0,
        duplicates: [],
        restarts: 0,
        edgesChecked: { start: false, end: false },
      },
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
    const [message, next] = points("a", [0, 1]) as [SequencePoint, SequencePoint];
    expect(auditSequences([message, { ...message }, next])[0]?.messages).toBe(2);
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

  it("keeps one device id under two tenants or two sources apart, so that neither hides the other's gaps", () => {
    // Interleaved, the two counters together look complete: 0 1 2 3 4 5.
    const twoTenants = [...points("a", [0, 2, 4], 0, "musterstadt"), ...points("a", [1, 3, 5], 500, "nachbarstadt")];
    expect(auditSequences(twoTenants).map((a) => [a.tenant, a.device, a.gaps])).toEqual([
      [
        "musterstadt",
        "a",
        [
          [1, 1],
          [3, 3],
        ],
      ],
      [
        "nachbarstadt",
        "a",
        [
          [2, 2],
          [4, 4],
        ],
      ],
    ]);
    const twoSources = [
      ...points("a", [0, 2], 0, "musterstadt", "city"),
      ...points("a", [1], 500, "musterstadt", "ttn"),
    ];
    expect(auditSequences(twoSources).map((a) => [a.source, a.missing])).toEqual([
      ["city", 1],
      ["ttn", 0],
    ]);
  });

  it("counts losses before the first and after the last stored number as missing when the range is expected", () => {
    const [audit] = auditSequences(points("a", [5, 6, 7, 8, 9]), { from: 0, to: 12 });
    expect(audit?.gaps).toEqual([
      [0, 4],
      [10, 12],
    ]);
    expect(audit?.missing).toBe(8);
    expect(audit?.edgesChecked).toEqual({ start: true, end: true });
  });

  it("says that losses at the edges cannot be seen when the range is not expected", () => {
    const [audit] = auditSequences(points("a", [5, 6, 7, 8, 9]));
    expect(audit?.missing).toBe(0);
    expect(audit?.edgesChecked).toEqual({ start: false, end: false });
    expect(auditSequences(points("a", [5, 6]), { from: 5 })[0]?.edgesChecked).toEqual({ start: true, end: false });
  });

  it("applies the expected start to the first run of the counter and the expected end to the last", () => {
    const [audit] = auditSequences(points("a", [3, 4, 5, 100, 101, 0, 1]), { from: 0, to: 3 });
    expect(audit?.gaps).toEqual([
      [0, 2],
      [6, 99],
      [2, 3],
    ]);
    expect(audit?.restarts).toBe(1);
  });
});
