import { describe, expect, it } from "vitest";
import { decoders } from "./decoders/index.ts";
import { defaultDecoderContext, NormalizeError, normalize as normalizeWith } from "./normalize.ts";
import type { RawRecord } from "./raw-record.ts";

const normalize = (raw: RawRecord, decoders: Parameters<typeof normalizeWith>[1]["decoders"]) =>
  normalizeWith(raw, { decoders, context: defaultDecoderContext }).observations;

function record(payload: unknown, overrides: Partial<RawRecord> = {}): RawRecord {
  return {
    key: "meter-0007",
    value: Buffer.from(typeof payload === "string" ? payload : JSON.stringify(payload)),
    source: "city-mosquitto",
    format: "stadtfluss-json",
    tenant: "musterstadt",
    mqttTopic: "stadtfluss/musterstadt/meter-0007/up",
    receivedAt: new Date("2026-11-25T07:30:01.000Z"),
    ...overrides,
  };
}

function failure(fn: () => unknown): NormalizeError {
  try {
    fn();
  } catch (error) {
    if (error instanceof NormalizeError) return error;
    throw error;
  }
  throw new Error("expected a NormalizeError");
}

describe("normalize", () => {
  it("turns each reading into an observation in its canonical unit", () => {
    const observations = normalize(
      record({
        seq: 5,
        time: "2026-11-25T08:30:00+01:00",
        readings: [
          { kind: "energy.active_import", value: 1234, unit: "Wh" },
          { kind: "energy.active_power", value: 350, unit: "W" },
        ],
      }),
      decoders,
    );
    expect(observations).toEqual([
      expect.objectContaining({
        deviceId: "meter-0007",
        kind: "energy.active_import",
        value: 1.234,
        unit: "kW.h",
        seq: 5,
      }),
      expect.objectContaining({
        kind: "energy.active_power",
        value: 0.35,
        unit: "kW",
        observedAt: "2026-11-25T07:30:00.000Z",
      }),
    ]);
    expect(observations[0]).toMatchObject({
      tenant: "musterstadt",
      source: "city-mosquitto",
      receivedAt: "2026-11-25T07:30:01.000Z",
    });
  });

  it("reads epoch milliseconds and epoch seconds", () => {
    const reading = { kind: "traffic.vehicle_count", value: 3, unit: "{vehicle}" };
    const [ms] = normalize(record({ time: 1764055800000, readings: [reading] }), decoders);
    const [s] = normalize(record({ time: 1764055800, readings: [reading] }), decoders);
    expect(ms?.observedAt).toBe("2025-11-25T07:30:00.000Z");
    expect(s?.observedAt).toBe(ms?.observedAt);
  });

  it.each([
    ["not JSON", "{nope", "decode", /not JSON/],
    ["no readings", { time: 0, readings: [] }, "decode", /at least one reading/],
    [
      "a local time without offset",
      { time: "2026-11-25T08:30:00", readings: [{ kind: "air.pm10", value: 1, unit: "ug/m3" }] },
      "decode",
      /offset/,
    ],
    [
      "an unknown kind",
      { time: 0, readings: [{ kind: "air.ozone", value: 1, unit: "ug/m3" }] },
      "convert",
      /unknown kind/,
    ],
    [
      "an incompatible unit",
      { time: 0, readings: [{ kind: "energy.active_import", value: 1, unit: "W" }] },
      "convert",
      /cannot be converted/,
    ],
  ])("rejects %s with the stage and reason", (_, payload, stage, reason) => {
    const error = failure(() => normalize(record(payload), decoders));
    expect(error.stage).toBe(stage);
    expect(error.message).toMatch(reason);
  });

  it("rejects a record whose topic named no device", () => {
    const payload = { time: 0, readings: [{ kind: "air.pm10", value: 1, unit: "ug/m3" }] };
    const error = failure(() => normalize(record(payload, { key: undefined }), decoders));
    expect(error.stage).toBe("validate");
    expect(error.message).toMatch(/deviceId/);
  });

  it("rejects a format it has no decoder for", () => {
    expect(failure(() => normalize(record({}, { format: "unknown" }), decoders)).message).toMatch(
      /no decoder for format "unknown"/,
    );
  });
});
