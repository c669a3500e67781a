import { parseDuration } from "./duration.ts";

/**
 * A moment given on a command line or in a query: ISO 8601 with an offset
 * (`2026-11-25T00:00:00Z`), or a duration before `now` (`90m`, `36h`, `7d`). A
 * time without an offset is refused: whose local time it means is a guess.
 */
export function parseInstant(text: string, now: Date): Date {
  const ago = parseDuration(text);
  if (ago !== undefined) return new Date(now.getTime() - ago);
  const date = new Date(text);
  if (Number.isNaN(date.getTime()) || !/T.*(Z|[+-]\d\d:?\d\d)$/.test(text)) {
    throw new Error(`"${text}" is neither ISO 8601 with an offset nor a duration such as 24h or 7d`);
  }
  return date;
}
