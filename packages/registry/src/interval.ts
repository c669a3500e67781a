import { z } from "zod";

const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/**
 * How often a device type reports: `30s`, `5m`, `1h`, `1d`. Written like a
 * retention (a number and one unit), with seconds and minutes as well, since
 * sensors report more often than data is kept. At least 10 s, the shortest
 * interval Grafana evaluates an alert rule at.
 */
export const intervalSchema = z.string().transform((text, ctx): number => {
  const match = /^([1-9][0-9]{0,5})([smhd])$/.exec(text);
  const ms = match ? Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS] : 0;
  if (ms < 10_000) {
    ctx.addIssue({ code: "custom", message: "must be a duration of at least 10s, such as 30s, 5m, 1h or 1d" });
    return z.NEVER;
  }
  return ms;
});

/** `5m`: an interval in its largest whole unit, as the registry writes it and Grafana reads it. */
export function describeInterval(ms: number): string {
  for (const [unit, size] of Object.entries(UNIT_MS).reverse()) if (ms % size === 0) return `${ms / size}${unit}`;
  return `${ms}ms`;
}
