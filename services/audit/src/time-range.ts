const RELATIVE = /^(\d+)(m|h|d)$/;
const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** `2026-11-25T00:00:00Z`, or `36h` / `7d` / `90m` before `now`. */
export function parseInstant(text: string, now: Date): Date {
  const relative = RELATIVE.exec(text);
  if (relative) return new Date(now.getTime() - Number(relative[1]) * UNIT_MS[relative[2] as keyof typeof UNIT_MS]);
  const date = new Date(text);
  if (Number.isNaN(date.getTime()) || !/T.*(Z|[+-]\d\d:?\d\d)$/.test(text)) {
    throw new Error(`"${text}" is neither ISO 8601 with an offset nor a duration such as 24h or 7d`);
  }
  return date;
}
