/**
 * The operator's proof that nothing was lost: per device, the sequence numbers
 * stored in a time range, with their gaps and duplicates.
 *
 * One message may become points in several measurements (a LoRaWAN uplink's
 * readings and its radio metadata), all with the same `seq` and time: those are
 * one message. The same `seq` at another time is a duplicate (a device that sent
 * twice); a drop to a lower `seq` is a restart of the device's counter, not a gap.
 */
export interface SequencePoint {
  readonly device: string;
  readonly time: number;
  readonly seq: number;
}

export interface DeviceAudit {
  readonly device: string;
  /** Distinct messages found. */
  readonly messages: number;
  readonly firstSeq: number;
  readonly lastSeq: number;
  /** Missing sequence numbers as inclusive ranges, within each run of the counter. */
  readonly gaps: ReadonlyArray<readonly [from: number, to: number]>;
  readonly missing: number;
  /** Sequence numbers stored at more than one time. */
  readonly duplicates: readonly number[];
  /** How often the counter started again lower (device restarts). */
  readonly restarts: number;
}

export function auditSequences(points: Iterable<SequencePoint>): DeviceAudit[] {
  const byDevice = new Map<string, Map<number, SequencePoint>>();
  for (const point of points) {
    // Collapse the points of one message (same time) across measurements.
    const messages = byDevice.get(point.device) ?? new Map<number, SequencePoint>();
    messages.set(point.time, point);
    byDevice.set(point.device, messages);
  }
  return [...byDevice.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([device, messages]) =>
      auditDevice(
        device,
        [...messages.values()].sort((a, b) => a.time - b.time),
      ),
    );
}

function auditDevice(device: string, messages: readonly SequencePoint[]): DeviceAudit {
  const gaps: [number, number][] = [];
  const duplicates = new Set<number>();
  let restarts = 0;
  let seen = new Set<number>();
  let runMax = -1;
  const closeRun = () => {
    const sorted = [...seen].sort((a, b) => a - b);
    for (let i = 1; i < sorted.length; i++) {
      const [previous, current] = [sorted[i - 1] as number, sorted[i] as number];
      if (current > previous + 1) gaps.push([previous + 1, current - 1]);
    }
  };
  let previousSeq: number | undefined;
  for (const { seq } of messages) {
    // A counter far below where it was is a restart; a little below is a late or repeated message.
    if (previousSeq !== undefined && seq < previousSeq && seq < runMax / 2 && !seen.has(seq)) {
      closeRun();
      seen = new Set();
      runMax = -1;
      restarts++;
    }
    if (seen.has(seq)) duplicates.add(seq);
    seen.add(seq);
    runMax = Math.max(runMax, seq);
    previousSeq = seq;
  }
  closeRun();
  return {
    device,
    messages: messages.length,
    firstSeq: messages[0]?.seq ?? 0,
    lastSeq: messages.at(-1)?.seq ?? 0,
    gaps,
    missing: gaps.reduce((sum, [from, to]) => sum + to - from + 1, 0),
    duplicates: [...duplicates].sort((a, b) => a - b),
    restarts,
  };
}
