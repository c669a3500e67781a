/**
 * Awaits servers started at once. When one fails to start, stops those that did
 * and throws its error: a failed start-up leaves no process behind to hold its port.
 */
export async function startTogether<T extends readonly unknown[]>(
  starting: {
    readonly [K in keyof T]: Promise<T[K]>;
  },
): Promise<T> {
  const settled = await Promise.allSettled(starting as readonly Promise<unknown>[]);
  const failed = settled.find((result): result is PromiseRejectedResult => result.status === "rejected");
  if (failed) {
    await Promise.allSettled(
      settled.map((result) =>
        result.status === "fulfilled"
          ? (result.value as { stop?: () => Promise<unknown> } | undefined)?.stop?.()
          : undefined,
      ),
    );
    throw failed.reason;
  }
  return settled.map((result) => (result as PromiseFulfilledResult<unknown>).value) as unknown as T;
}
