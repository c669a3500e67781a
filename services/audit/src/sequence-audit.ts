/**
 * The operator's proof that nothing was lost: per device, the sequence numbers
 * stored in a time range, with their gaps and duplicates.
 *
 * A device is its tenant, source and id together: one id under two tenants or
 * two sources is two counters, and merged they would hide each other's gaps.
 *
 * One message may become points in several measurements (a LoRaWAN uplink's
 * readings and its radio metadata), all with the same `seq` and time: those are
 * one message. The same `seq` at another time is a duplicate (a device that sent
 * twice); a drop to a lower `seq` is a restart of the device's counter, not a gap.
 *
 * Only what lies between two stored numbers can be proven: a loss before the
 * first or after the last stored message of the range shows only when the
 * expected range of numbers is given (a publisher's count, a test's run).
 */
export interface SequencePoint {
  readonly tenant: string;
  readonly source: string;
  readonly device: string;
  readonly time: number;
  readonly seq: number;
}

/** The sequence numbers every device should have sent in the range, inclusive; either end may be unknown. */
export interface ExpectedRange {
  readonly from?: number;
  readonly to?: number;
}

export interface DeviceAudit {
  readonly tenant: string;
  readonly source: string;
  readonly device: string;
  /** Distinct messages found. */
  readonly messages: number;
  readonly firstSeq: number;
  readonly lastSeq: number;
  /** Missing sequence numbers as inclusive ranges, within each run of the counter and at the expected edges. */
  readonly gaps: ReadonlyArray<readonly [from: number, to: number]>;
  readonly missing: number;
  /** Sequence numbers stored at more than one time. */
  readonly duplicates: readonly number[];
  /** How often the counter started again lower (device restarts). */
  readonly restarts: number;
  /** Whether losses before the first (start) and after the last (end) stored number were looked for. */
  readonly edgesChecked: { readonly start: boolean; readonly end: boolean };
}

export function auditSequences(points: Iterable<SequencePoint>, expected: ExpectedRange = {}): DeviceAudit[] {
  const byDevice = new Map<string, Map<number, SequencePoint>>();
  for (const point of points) {
    // Collapse the points of one message (same time) across measurements.
    const key = JSON.stringify([point.tenant, point.source, point.device]);
    const messages = byDevice.get(key) ?? new Map<number, SequencePoint>();
    messages.set(point.time, point);
    byDevice.set(key, messages);
  }
  return [...byDevice.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([, messages]) =>
      auditDevice(
        [...messages.values()].sort((a, b) => a.time - b.time),
        expected,
      ),
    );
}

/** A device that should have sent `expected` but stored nothing at all in the range. */
export function silentDevice(
  device: Pick<DeviceAudit, "tenant" | "source" | "device">,
  expected: Required<ExpectedRange>,
): DeviceAudit {
  return {
    ...device,
    messages: 0,
    firstSeq: 0,
    lastSeq: 0,
    gaps: [[expected.from, expected.to]],
    missing: expected.to - expected.from + 1,
    duplicates: [],
    restarts: 0,
    edgesChecked: { start: true, end: true },
  };
}

function auditDevice(messages: readonly SequencePoint[], expected: ExpectedRange): DeviceAudit {
  const gaps: [number, number][] = [];
  const duplicates = new Set<number>();
  let restarts = 0;
  let seen = new Set<number>();
  let runMax = -1;
  let firstRun = true;
  const closeRun = (last: boolean) => {
    const sorted = [...seen].sort((a, b) => a - b);
    const [lowest, highest] = [sorted[0], sorted.at(-1)];
    if (firstRun && expected.from !== undefined && lowest !== undefined && lowest > expected.from)
      gaps.push([expected.from, lowest - 1]);
    for (let i = 1; i < sorted.length; i++) {
      const [previous, current] = [sorted[i - 1] as number, sorted[i] as number];
      if (current > previous + 1) gaps.push([previous + 1, current - 1]);
    }
    if (last && expected.to !== undefined && highest !== undefined && highest < expected.to)
      gaps.push([highest + 1, expected.to]);
    firstRun = false;
  };
  let previousSeq: number | undefined;
  for (const { seq } of messages) {
    // A counter far below where it was is a restart; a little below is a late or repeated message.
    if (previousSeq !== undefined && seq < previousSeq && seq < runMax / 2 && !seen.has(seq)) {
      closeRun(false);
      seen = new Set();
      runMax = -1;
      restarts++;
    }
    if (seen.has(seq)) duplicates.add(seq);
    seen.add(seq);
    runMax = Math.max(runMax, seq);
    previousSeq = seq;
  }
  closeRun(true);
  const [first] = messages;
  return {
    tenant: first?.tenant ?? "",
    source: first?.source ?? "",
    device: first?.device ?? "",
    messages: messages.length,
    firstSeq: first?.seq ?? 0,
    lastSeq: messages.at(-1)?.seq ?? 0,
    gaps,
    missing: gaps.reduce((sum, [from, to]) => sum + to - from + 1, 0),
    duplicates: [...duplicates].sort((a, b) => a - b),
    restarts,
    edgesChecked: { start: expected.from !== undefined, end: expected.to !== undefined },
  };
}
