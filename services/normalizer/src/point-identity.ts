import type { Observation } from "@stadtfluss/schemas";
import type { Reading } from "./raw-record.ts";

/**
 * A point in InfluxDB is its measurement, tags and time, with one field per kind
 * (`observationToPoint` in packages/influx). Two readings of one message with the
 * same device, kind, channel and time would be one point, the later overwriting
 * the earlier without a trace: such a message is refused whole instead. The rule
 * is stated in docs/delivery.md, "Point identity".
 */

/**
 * What the normalizer may produce, each only once every influx-writer reads it: 2
 * (channels, meter serials, sites), 3 (v2 observations, one record per message and
 * device), 4 (as 3, with what they share written once).
 */
export type ObservationVersion = 1 | 2 | 3 | 4;

/**
 * Each reading's channel: the declared one, else its sensor where the message
 * holds readings of its device and kind from more than one sensor.
 */
export function channelsOf(
  readings: readonly Reading[],
  deviceOf: (reading: Reading) => string | undefined,
): Array<string | undefined> {
  const groupOf = (reading: Reading) => `${deviceOf(reading) ?? ""}\u0000${reading.kind}`;
  const sensors = new Map<string, Set<string>>();
  for (const reading of readings) {
    if (reading.channel !== undefined || reading.sensor === undefined) continue;
    const group = groupOf(reading);
    const seen = sensors.get(group) ?? new Set<string>();
    seen.add(reading.sensor);
    sensors.set(group, seen);
  }
  return readings.map((reading) => {
    if (reading.channel !== undefined) return reading.channel;
    const several = reading.sensor !== undefined && (sensors.get(groupOf(reading))?.size ?? 0) > 1;
    return several ? reading.sensor : undefined;
  });
}

/** Why the observations of one message cannot all be stored as they are, if they cannot. */
export function identityProblem(observations: readonly Observation[], version: ObservationVersion): string | undefined {
  if (version === 1) {
    const index = observations.findIndex((o) => o.channel !== undefined);
    const found = observations[index];
    if (found)
      return `reading ${index + 1} (${found.kind}) has channel ${found.channel}, which observation v1 cannot carry: set NORMALIZER_OBSERVATION_VERSION=2 once every influx-writer reads observation v2`;
  }
  const seen = observations.length > FEW ? new Map<string, number>() : undefined;
  for (const [index, o] of observations.entries()) {
    let first: number | undefined;
    if (seen) {
      const identity = `${o.deviceId}\u0000${o.kind}\u0000${o.channel ?? ""}\u0000${o.observedAt}`;
      first = seen.get(identity);
      if (first === undefined) seen.set(identity, index);
    } else {
      first = observations.findIndex((earlier, at) => at < index && samePoint(earlier, o));
      if (first === -1) first = undefined;
    }
    if (first !== undefined) {
      const channel = o.channel === undefined ? "" : ` channel ${o.channel}`;
      return `readings ${first + 1} and ${index + 1} are both ${o.kind} of device ${o.deviceId}${channel} at ${o.observedAt}: in InfluxDB one would overwrite the other, and no channel tells them apart`;
    }
  }
  return undefined;
}

/** Up to this many readings are compared pair by pair: cheaper than a key per reading for a message's few. */
const FEW = 8;

const samePoint = (a: Observation, b: Observation) =>
  a.deviceId === b.deviceId &&
  a.kind === b.kind &&
  (a.channel ?? "") === (b.channel ?? "") &&
  a.observedAt === b.observedAt;
