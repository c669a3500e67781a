/**
 * Whether a kafkajs error carries one of these broker error codes. kafkajs wraps
 * the broker's error (its `type`, such as `MESSAGE_TOO_LARGE`) in its own errors
 * as `cause`, so the whole chain is searched.
 */
export function hasBrokerError(error: unknown, types: ReadonlySet<string>): boolean {
  for (let e = error; e instanceof Error; e = (e as Error & { cause?: unknown }).cause) {
    if (types.has((e as Error & { type?: string }).type ?? "")) return true;
  }
  return false;
}
