/**
 * RFC 3339 UTC time with nanoseconds, as network servers print their own
 * clocks: The Things Stack (Go) ends with `Z`, ChirpStack (Rust) with `+00:00`.
 * `nanos` are the nanoseconds below the millisecond (0-999999).
 */
export function rfc3339Nanos(at: Date, nanos: number, zone: "Z" | "+00:00" = "Z"): string {
  const below = String(Math.max(0, Math.min(999_999, Math.floor(nanos)))).padStart(6, "0");
  return `${at.toISOString().slice(0, 23)}${below}${zone}`;
}
