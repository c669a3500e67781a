/**
 * What Grafana's InfluxDB data source makes of a panel's query before it sends
 * it (InfluxQL mode): `$timeFilter`, `$__interval`, and each variable inside a
 * regular expression as its values escaped and joined (`(a|b)`), so that a
 * test runs the query exactly as a dashboard would.
 */
export interface FilledVariables {
  readonly from: Date;
  readonly to: Date;
  /** InfluxQL duration, for example `1m`. */
  readonly interval: string;
  /** Variable name to the values picked; `[".*"]` is "All". */
  readonly values: Readonly<Record<string, readonly string[]>>;
}

export function fillVariables(query: string, filled: FilledVariables): string {
  return query
    .replaceAll("$timeFilter", `time >= ${filled.from.getTime()}ms and time <= ${filled.to.getTime()}ms`)
    .replaceAll("$__interval", filled.interval)
    .replace(/\$(\w+)/g, (whole, name: string) => {
      const values = filled.values[name];
      if (values === undefined) return whole;
      const escaped = values.map((value) => (value === ".*" ? value : value.replace(/[\\^$*+?.()|[\]{}/]/g, "\\$&")));
      return escaped.length === 1 ? (escaped[0] as string) : `(${escaped.join("|")})`;
    });
}
