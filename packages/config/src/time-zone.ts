import { z } from "zod";

/**
 * The IANA zone's canonical spelling, or undefined when ICU does not know it.
 * Fixed offsets (`+01:00`) are refused: they ignore daylight saving time, which
 * is what reading local times needs a zone for.
 */
export function canonicalTimeZone(name: string): string | undefined {
  if (!/^[A-Za-z]/.test(name)) return undefined;
  try {
    return new Intl.DateTimeFormat("en", { timeZone: name }).resolvedOptions().timeZone;
  } catch {
    return undefined;
  }
}

/** An environment variable naming an IANA time zone (`env.timeZone()`), in its canonical spelling. */
export const timeZone = () =>
  z.string().transform((name, ctx) => {
    const zone = canonicalTimeZone(name.trim());
    if (zone === undefined) {
      ctx.addIssue({ code: "custom", message: "must be an IANA time zone such as Europe/Berlin" });
      return z.NEVER;
    }
    return zone;
  });
