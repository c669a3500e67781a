import type { Observation } from "@stadtfluss/schemas";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { identityProblem } from "./point-identity.ts";

/** The rule as docs/delivery.md states it: the first pair of readings with one device, kind, channel and time. */
function firstPair(observations: readonly Observation[]): [number, number] | undefined {
  for (let later = 0; later < observations.length; later++)
    for (let earlier = 0; earlier < later; earlier++) {
      const a = observations[earlier] as Observation;
      const b = observations[later] as Observation;
      if (
        a.deviceId === b.deviceId &&
        a.kind === b.kind &&
        (a.channel ?? "") === (b.channel ?? "") &&
        a.observedAt === b.observedAt
      )
        return [earlier + 1, later + 1];
    }
  return undefined;
}

describe("identityProblem", () => {
  it("names the first two readings that would be one point, for few readings and for many", () => {
    const observation = fc.record(
      {
        tenant: fc.constant("musterstadt"),
        deviceId: fc.constantFrom("a", "b"),
        kind: fc.constantFrom("air.pm10", "air.pm2_5", "traffic.vehicle_count"),
        value: fc.constant(1),
        unit: fc.constant("-"),
        observedAt: fc.constantFrom("2026-12-07T03:00:00.000Z", "2026-12-07T03:00:01.000Z"),
        receivedAt: fc.constant("2026-12-07T03:00:02.000Z"),
        source: fc.constant("city"),
        privacy: fc.constant("personal" as const),
        channel: fc.constantFrom("", "1", "2"),
      },
      {
        requiredKeys: ["tenant", "deviceId", "kind", "value", "unit", "observedAt", "receivedAt", "source", "privacy"],
      },
    ) as fc.Arbitrary<Observation>;
    let found = 0;
    fc.assert(
      fc.property(fc.array(observation, { minLength: 1, maxLength: 20 }), (observations) => {
        const pair = firstPair(observations);
        const problem = identityProblem(observations, 2);
        if (pair === undefined) expect(problem).toBeUndefined();
        else {
          found++;
          expect(problem).toMatch(new RegExp(`^readings ${pair[0]} and ${pair[1]} are both `));
        }
      }),
      { numRuns: 3_000 },
    );
    expect(found).toBeGreaterThan(500);
  });
});
