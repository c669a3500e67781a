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
  /**
   * Variable name to the values picked; `[".*"]` is "All". A plain string is the
   * value of a variable that is neither multi nor has "All" (a threshold): Grafana
   * leaves it as it is where it starts with a number (`45`, `1h`: `parseFloat`
   * reads a number) and escapes it as a regular expression otherwise.
   */
  readonly values: Readonly<Record<string, readonly string[] | string>>;
}

export function fillVariables(query: string, filled: FilledVariables): string {
  return query
    .replaceAll("$timeFilter", `time >= ${filled.from.getTime()}ms and time <= ${filled.to.getTime()}ms`)
    .replaceAll("$__interval", filled.interval)
    .replace(/\$(\w+)/g, (whole, name: string) => {
      const values = filled.values[name];
      if (values === undefined) return whole;
      if (typeof values === "string") return Number.isNaN(Number.parseFloat(values)) ? escapeRegex(values) : values;
      const escaped = values.map((value) => (value === ".*" ? value : escapeRegex(value)));
      return escaped.length === 1 ? (escaped[0] as string) : `(${escaped.join("|")})`;
    });
}

function escapeRegex(value: string): string {
  return value.replace(/[\\^$*+?.()|[\]{}/]/g, "\\$&");
}
