/**
 * What Grafana's Prometheus data source makes of a panel's query before it
 * sends it: `$__rate_interval`, and each variable inside a regular expression
 * as its values escaped and joined (`(a|b)`), so that a test runs the query
 * exactly as a dashboard would.
 */
export interface FilledPromQLVariables {
  /** PromQL duration, for example `1m` (Grafana: four scrape intervals at least). */
  readonly rateInterval: string;
  /** Variable name to the values picked; `[".*"]` is "All". */
  readonly values: Readonly<Record<string, readonly string[]>>;
}

export function fillPromQLVariables(expr: string, filled: FilledPromQLVariables): string {
  return expr.replaceAll("$__rate_interval", filled.rateInterval).replace(/\$(\w+)/g, (whole, name: string) => {
    const values = filled.values[name];
    if (values === undefined) return whole;
    const escaped = values.map((value) => (value === ".*" ? value : value.replace(/[\\^$*+?.()|[\]{}]/g, "\\\\$&")));
    return escaped.length === 1 ? (escaped[0] as string) : `(${escaped.join("|")})`;
  });
}
