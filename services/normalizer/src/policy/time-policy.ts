import { formatDuration } from "@stadtfluss/config";

/** How far an observation's time may lie from the moment the bridge received it. */
export interface TimePolicy {
  readonly maxFutureMs: number;
  readonly maxAgeMs: number;
}

export const defaultTimePolicy: TimePolicy = { maxFutureMs: 5 * 60_000, maxAgeMs: 7 * 86_400_000 };

/**
 * Why `observedAt` is implausible, or undefined when it is not. Measured against
 * `receivedAt`, not the clock, so that replaying old records judges them as on
 * the day they arrived. A device whose clock was never set (1970) or a gateway
 * in the wrong zone shows up here rather than as points in the wrong place.
 */
export function implausibleTime(observedAt: Date, receivedAt: Date, policy: TimePolicy): string | undefined {
  const ahead = observedAt.getTime() - receivedAt.getTime();
  if (ahead > policy.maxFutureMs)
    return `observedAt ${observedAt.toISOString()} is ${formatDuration(ahead)} in the future (received ${receivedAt.toISOString()}, at most ${formatDuration(policy.maxFutureMs)} allowed)`;
  if (-ahead > policy.maxAgeMs)
    return `observedAt ${observedAt.toISOString()} is ${formatDuration(-ahead)} old (received ${receivedAt.toISOString()}, at most ${formatDuration(policy.maxAgeMs)} allowed)`;
  return undefined;
}
