/** Where the next page starts: the last observation's time and how many at that time were already sent. */
export interface Cursor {
  readonly time: number;
  readonly skip: number;
}

/** Opaque to clients (base64url): its shape may change without breaking their links. */
export function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify([cursor.time, cursor.skip])).toString("base64url");
}

export function decodeCursor(text: string): Cursor | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(text, "base64url").toString("utf8"));
    if (!Array.isArray(value) || value.length !== 2) return undefined;
    const [time, skip] = value;
    if (!Number.isSafeInteger(time) || !Number.isSafeInteger(skip) || skip < 1) return undefined;
    return { time, skip };
  } catch {
    return undefined;
  }
}
