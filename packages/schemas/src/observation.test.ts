import { describe, expect, it } from "vitest";
import { observationSchema, parseObservation, serializeObservation } from "./index.ts";

const valid = {
  tenant: "musterstadt",
  deviceId: "traffic-0001",
  kind: "traffic.vehicle_count",
  value: 12,
  unit: "{vehicle}",
  observedAt: "2026-11-25T07:30:00.000Z",
  receivedAt: "2026-11-25T07:30:00.120Z",
  source: "city-mosquitto",
  seq: 41,
};

describe("observation v1", () => {
  it("accepts a complete observation and round-trips through JSON", () => {
    const observation = observationSchema.parse(valid);
    expect(parseObservation(serializeObservation(observation))).toEqual(observation);
  });

  it("rejects a unit that is not the kind's canonical unit", () => {
    const result = observationSchema.safeParse({ ...valid, unit: "W" });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path).toEqual(["unit"]);
  });

  it("rejects unknown kinds, non-finite values and times without offset", () => {
    expect(observationSchema.safeParse({ ...valid, kind: "traffic.unknown" }).success).toBe(false);
    expect(observationSchema.safeParse({ ...valid, value: Number.NaN }).success).toBe(false);
    expect(observationSchema.safeParse({ ...valid, observedAt: "2026-11-25T07:30:00.000" }).success).toBe(false);
  });

  it("rejects fields it does not know, so that producers cannot drift silently", () => {
    expect(observationSchema.safeParse({ ...valid, colour: "red" }).success).toBe(false);
  });
});
