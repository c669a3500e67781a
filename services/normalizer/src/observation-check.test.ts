import { kinds, observationSchema } from "@stadtfluss/schemas";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { checkedObservation, type ObservationCandidate } from "./observation-check.ts";

const kindNames = Object.keys(kinds) as (keyof typeof kinds)[];
// Mostly valid parts, so that many candidates pass; each part now and then one that is not.
const valid = <T>(good: fc.Arbitrary<T>, bad: fc.Arbitrary<T>) => fc.oneof({ arbitrary: good, weight: 9 }, bad);
const identifier = valid(
  fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._:@-]{0,40}$/),
  fc.oneof(fc.string({ maxLength: 140 }), fc.constantFrom("", "-x", "a b", "x".repeat(129))),
);
const instant = valid(
  fc
    .date({ min: new Date(0), max: new Date("9999-12-31T23:59:59.999Z"), noInvalidDate: true })
    .map((d) => d.toISOString()),
  fc.constantFrom("invalid", "2026-11-25T07:30:00Z", "2026-02-30T07:30:00.000Z", "+275760-09-13T00:00:00.000Z"),
);
const kindAndUnit = valid(
  fc.constantFrom(...kindNames).map((kind) => ({ kind: kind as string, unit: kinds[kind].unit as string })),
  fc.record({
    kind: fc.oneof(fc.constantFrom(...kindNames), fc.string(), fc.constantFrom("toString", "__proto__")),
    unit: fc.constantFrom("", "km/h", "ug/m3", "{vehicle}"),
  }),
);
const candidate: fc.Arbitrary<ObservationCandidate> = fc
  .tuple(
    fc.record(
      {
        tenant: identifier,
        deviceId: identifier,
        channel: valid(fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._:@-]{0,31}$/), identifier),
        value: valid(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.constantFrom(Number.NaN, Infinity)),
        observedAt: instant,
        receivedAt: instant,
        source: identifier,
        seq: valid(fc.nat(), fc.oneof(fc.integer({ min: -5, max: -1 }), fc.double(), fc.constant(2 ** 60))),
        meterSerial: identifier,
      },
      { requiredKeys: ["tenant", "deviceId", "value", "observedAt", "receivedAt", "source"] },
    ),
    kindAndUnit,
  )
  .map(([parts, { kind, unit }]) => ({ ...parts, kind, unit }));

describe("checkedObservation", () => {
  it("accepts only what observationSchema accepts, and outputs exactly what it outputs", () => {
    let accepted = 0;
    fc.assert(
      fc.property(candidate, (input) => {
        const checked = checkedObservation(input);
        if (checked === undefined) return;
        accepted++;
        const result = observationSchema.safeParse(input);
        expect(result.success).toBe(true);
        // Equal, and equal as serialised: the same keys in the same order.
        expect(checked).toStrictEqual(result.data);
        expect(JSON.stringify(checked)).toBe(JSON.stringify(result.data));
      }),
      { numRuns: 5000 },
    );
    // The property says nothing if no candidate passed.
    expect(accepted).toBeGreaterThan(50);
  });

  it("accepts a usual observation, so that zod runs only on doubtful ones", () => {
    const observation = {
      tenant: "musterstadt",
      deviceId: "dev-0042",
      kind: "air.pm10",
      value: 12.3,
      unit: "ug/m3",
      observedAt: "2026-11-25T07:30:00.000Z",
      receivedAt: "2026-11-25T07:30:00.800Z",
      source: "city",
      seq: 123,
    };
    expect(checkedObservation(observation)).toEqual({ ...observation, privacy: "personal" });
  });
});
