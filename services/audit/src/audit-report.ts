import {
  type InfluxReadSettings,
  influxQL,
  measurements,
  quoteIdentifier,
  quoteString,
  seriesRows,
} from "@stadtfluss/influx";
import {
  auditSequences,
  type DeviceAudit,
  type ExpectedRange,
  type SequencePoint,
  silentDevice,
} from "./sequence-audit.ts";

export interface AuditQuery {
  readonly from: Date;
  readonly to: Date;
  readonly tenant?: string;
  readonly device?: string;
  readonly expected: ExpectedRange;
}

/** A device whose points carry no `seq`: nothing about its losses or duplicates can be proven. */
export interface UncountedDevice {
  readonly tenant: string;
  readonly source: string;
  readonly device: string;
  /** Points of its most frequent field: at least the messages stored. */
  readonly points: number;
}

export interface AuditReport {
  /** Where it read: one database, or a tenant's public and personal ones. */
  readonly databases: readonly string[];
  readonly from: Date;
  readonly to: Date;
  readonly expected: ExpectedRange;
  readonly devices: DeviceAudit[];
  readonly withoutCounter: UncountedDevice[];
  readonly missing: number;
  readonly duplicated: number;
}

const SERIES = ["tenant", "source", "device"] as const;

/**
 * Reads the range from InfluxDB: every device's sequence numbers, and the devices
 * that have none. With several databases (a tenant's public and personal ones)
 * each is read on its own, since InfluxDB 3 takes no query across databases, and
 * a device's numbers are audited together wherever they are stored.
 */
export async function readAudit(
  settings: Omit<InfluxReadSettings, "database">,
  databases: readonly string[],
  query: AuditQuery,
) {
  const conditions = [
    `time >= ${quoteString(query.from.toISOString())}`,
    `time < ${quoteString(query.to.toISOString())}`,
    ...(query.tenant ? [`"tenant" = ${quoteString(query.tenant)}`] : []),
    ...(query.device ? [`"device" = ${quoteString(query.device)}`] : []),
  ];
  const where = `FROM ${measurements.map(quoteIdentifier).join(",")} WHERE ${conditions.join(" AND ")} GROUP BY ${SERIES.map(quoteIdentifier).join(",")}`;
  const results = await Promise.all(
    databases.map((database) => influxQL({ ...settings, database }, `SELECT "seq" ${where}; SELECT count(*) ${where}`)),
  );
  const sequences = results.flatMap(([series = []]) => series);
  const counts = results.flatMap(([, series = []]) => series);

  const seriesOf = (tags: Record<string, unknown> | undefined) => ({
    tenant: String(tags?.tenant ?? ""),
    source: String(tags?.source ?? ""),
    device: String(tags?.device ?? ""),
  });
  const points: SequencePoint[] = seriesRows(sequences)
    .filter((row) => typeof row.seq === "number")
    .map((row) => ({ ...seriesOf(row), time: Number(row.time), seq: row.seq as number }));
  const devices = auditSequences(points, query.expected);

  const key = (d: Omit<UncountedDevice, "points">) => JSON.stringify([d.tenant, d.source, d.device]);
  const counted = new Set(devices.map(key));
  const uncounted = new Map<string, UncountedDevice>();
  for (const s of counts) {
    const series = seriesOf(s.tags);
    if (counted.has(key(series))) continue;
    const points = Math.max(0, ...s.values.flatMap((row) => row.slice(1).filter((v) => typeof v === "number")));
    const known = uncounted.get(key(series));
    uncounted.set(key(series), { ...series, points: Math.max(points, known?.points ?? 0) });
  }
  const withoutCounter = [...uncounted.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([, d]) => d);

  // A device named and expected that stored nothing at all is missing every number.
  const { from, to } = query.expected;
  if (query.device && from !== undefined && to !== undefined && devices.length === 0 && withoutCounter.length === 0)
    devices.push(silentDevice({ tenant: query.tenant ?? "", source: "", device: query.device }, { from, to }));

  return {
    databases,
    from: query.from,
    to: query.to,
    expected: query.expected,
    devices,
    withoutCounter,
    missing: devices.reduce((sum, d) => sum + d.missing, 0),
    duplicated: devices.reduce((sum, d) => sum + d.duplicates.length, 0),
  } satisfies AuditReport;
}

/** The report as aligned text, with what it could not prove said at the end. */
export function formatAudit(report: AuditReport): string {
  const out: string[] = [];
  const table = (header: string[], rows: string[][]) => {
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
    for (const row of [header, ...rows])
      out.push(
        row
          .map((c, i) => c.padEnd(widths[i] ?? 0))
          .join("  ")
          .trimEnd(),
      );
  };
  const list = (items: readonly string[], most: number) =>
    items.slice(0, most).join(" ") + (items.length > most ? " …" : "");

  table(
    ["tenant", "source", "device", "messages", "seq", "missing", "gaps", "duplicates", "restarts"],
    report.devices.map((a) => [
      a.tenant,
      a.source,
      a.device,
      String(a.messages),
      a.messages > 0 ? `${a.firstSeq}…${a.lastSeq}` : "",
      String(a.missing),
      list(
        a.gaps.map(([g1, g2]) => (g1 === g2 ? `${g1}` : `${g1}-${g2}`)),
        3,
      ),
      list(a.duplicates.map(String), 5),
      String(a.restarts),
    ]),
  );
  if (report.withoutCounter.length > 0) {
    out.push("", "Not provable, no counter (seq):");
    table(
      ["tenant", "source", "device", "points"],
      report.withoutCounter.map((d) => [d.tenant, d.source, d.device, String(d.points)]),
    );
  }

  const messages = report.devices.reduce((sum, a) => sum + a.messages, 0);
  out.push(
    "",
    `${report.devices.length} devices, ${messages} messages from ${report.from.toISOString()} to ${report.to.toISOString()}: ${report.missing} missing, ${report.duplicated} duplicated (read from ${report.databases.join(", ")}).`,
  );
  const uncounted = report.withoutCounter.length;
  if (uncounted > 0) {
    const points = report.withoutCounter.reduce((sum, d) => sum + d.points, 0);
    out.push(
      `${uncounted} ${uncounted === 1 ? "device" : "devices"} without a counter (${points} points): losses and duplicates cannot be proven for ${uncounted === 1 ? "it" : "them"}.`,
    );
  }
  const { from, to } = report.expected;
  if (report.devices.length > 0 && (from === undefined || to === undefined)) {
    const edges =
      from === undefined && to === undefined
        ? "before the first and after the last"
        : from === undefined
          ? "before the first"
          : "after the last";
    out.push(
      `Losses ${edges} stored sequence number of each device cannot be seen: give the numbers expected with --expect-from and --expect-to.`,
    );
  }
  return `${out.join("\n")}\n`;
}
