import { hasBrokerError } from "./broker-error.ts";

/** Errors about the records themselves: the same records would be refused again. */
const RECORD_REFUSALS = new Set([
  "MESSAGE_TOO_LARGE",
  "RECORD_LIST_TOO_LARGE",
  "INVALID_RECORD",
  "CORRUPT_MESSAGE",
  "INVALID_TIMESTAMP",
]);

export function refusesRecords(error: unknown): boolean {
  return hasBrokerError(error, RECORD_REFUSALS);
}

/**
 * Sends until Kafka has the records, and throws only when Kafka refuses the
 * records themselves. kafkajs gives up on a send, unlimited retries or not, once
 * its metadata refresh fails (every broker gone for about 20 s); a sender that
 * gave up there would have to drop or dead-letter messages Kafka never refused.
 * Answers that no retry of the same producer changes are the producer's to handle
 * (RenewingProducer): it replaces itself when Kafka lost its id, and reports a
 * refusal of access for readiness while the retries go on.
 */
export async function sendUntilStored(
  send: () => Promise<unknown>,
  onRetry?: (error: unknown, attempt: number) => void,
  maxBackoffMs = 5_000,
): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await send();
      return;
    } catch (error) {
      if (refusesRecords(error)) throw error;
      onRetry?.(error, attempt);
      const backoffMs = Math.min(maxBackoffMs, 100 * 2 ** Math.min(attempt, 16));
      await new Promise((resolve) => setTimeout(resolve, backoffMs));
    }
  }
}
