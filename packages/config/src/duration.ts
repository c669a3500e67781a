import { z } from "zod";

const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;
const PART = /(\d+)(ms|s|m|h|d|w)/g;
const WHOLE = /^(\d+(ms|s|m|h|d|w))+$/;

/**
 * `5m`, `36h`, `7d`, `1h30m` → milliseconds; undefined for anything else. A bare
 * number is refused: whether `5` means seconds or minutes is exactly the
 * misunderstanding a unit prevents.
 */
export function parseDuration(text: string): number | undefined {
  const compact = text.trim().replaceAll(" ", "");
  if (!WHOLE.test(compact)) return undefined;
  let ms = 0;
  for (const [, amount, unit] of compact.matchAll(PART)) ms += Number(amount) * UNIT_MS[unit as keyof typeof UNIT_MS];
  return ms;
}

const SPOKEN: ReadonlyArray<readonly [number, string]> = [
  [UNIT_MS.d, "day"],
  [UNIT_MS.h, "hour"],
  [UNIT_MS.m, "minute"],
  [UNIT_MS.s, "second"],
];

/** The largest whole unit, rounded down, for reasons a person reads: `3 days`, `1 hour`. */
export function formatDuration(ms: number): string {
  for (const [size, name] of SPOKEN) {
    const count = Math.floor(ms / size);
    if (count >= 1) return `${count} ${name}${count === 1 ? "" : "s"}`;
  }
  return `${Math.round(ms)} ms`;
}

/** An environment variable holding a duration (`env.duration()`), in milliseconds. */
export const duration = () =>
  z.string().transform((text, ctx) => {
    const ms = parseDuration(text);
    if (ms === undefined) {
      ctx.addIssue({ code: "custom", message: "must be a duration such as 5m, 36h or 7d (units ms, s, m, h, d, w)" });
      return z.NEVER;
    }
    return ms;
  });
