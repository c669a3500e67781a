import { UnavailableError } from "@stadtfluss/errors";
import { DeviceRegistry } from "@stadtfluss/registry";
import {
  OBSERVATION_SCHEMA_ID,
  OBSERVATION_V2_SCHEMA_ID,
  type Observation,
  observationSchemaIdOf,
  serializeObservation,
} from "@stadtfluss/schemas";
import { describe, expect, it } from "vitest";
import { decoders } from "./decoders/index.ts";
import {
  defaultDecoderContext,
  NormalizeError,
  type NormalizeOptions,
  normalize as normalizeWith,
} from "./normalize.ts";
import { defaultTimePolicy } from "./policy/time-policy.ts";
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

  it("marks every observation personal without a registry: nothing is public by omission", () => {
    const observations = normalize(
      record({ time: "2026-11-25T07:30:00Z", readings: [{ kind: "energy.active_import", value: 1, unit: "kWh" }] }),
      decoders,
    );
    expect(observations.map((observation) => observation.privacy)).toEqual(["personal"]);
    expect(JSON.parse(serializeObservation(observations[0] as Observation))).toMatchObject({ privacy: "personal" });
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

  it("passes a retriable failure on as it is, so that the message is tried again instead of dead-lettered", () => {
    const unavailable = new UnavailableError("the codec sandbox is loading a fresh WebAssembly module");
    const waiting = {
      format: "stadtfluss-json",
      decode: () => {
        throw unavailable;
      },
    };
    expect(() => normalize(record({}), new Map([["stadtfluss-json", waiting]]))).toThrow(unavailable);
  });

  it("rejects a format it has no decoder for", () => {
    expect(failure(() => normalize(record({}, { format: "unknown" }), decoders)).message).toMatch(
      /no decoder for format "unknown"/,
    );
  });
});

describe("normalize quotes input in its reasons only in part", () => {
  const long = "k".repeat(200_000);
  const reading = { kind: "air.pm10", value: 1, unit: "ug/m3" };
  const at = "2026-11-25T07:30:00Z";
  const throwing = {
    format: "stadtfluss-json",
    decode: () => {
      throw new TypeError(long);
    },
  };
  it.each([
    ["an unknown kind", record({ time: at, readings: [{ ...reading, kind: long }] }), decoders],
    ["an unknown unit", record({ time: at, readings: [{ ...reading, unit: long }] }), decoders],
    ["an unknown format", record({}, { format: long }), decoders],
    ["a device without a type", record({ a: 1 }, { key: long, format: "generic-json" }), decoders],
    ["a SenML must-understand label", record([{ n: "x", v: 1, [`${long}_`]: 1 }], { format: "senml" }), decoders],
    ["a SenML name SenML forbids", record([{ n: `bad name ${long}`, v: 1 }], { format: "senml" }), decoders],
    ["a value that is not a time", record({ time: long, readings: [reading] }), decoders],
    ["a decoder's own failure", record({}), new Map([["stadtfluss-json", throwing]])],
  ])("%s", (_, raw, decodersToUse) => {
    const error = failure(() => normalize(raw, decodersToUse));
    expect(error.message).toContain("…[cut, ");
    expect(error.message.length).toBeLessThan(1_000);
  });
});

describe("normalize with a bound on the readings of one message", () => {
  const senmlPack = (count: number) =>
    record(
      [
        { bn: "urn:dev:ow:10e2073a01080063:", bt: 1_795_000_000, n: "temperature", u: "Cel", v: 0, t: 0 },
        ...Array.from({ length: count - 1 }, (_, i) => ({ n: "temperature", u: "Cel", v: i + 1, t: i + 1 })),
      ],
      { format: "senml" },
    );
  const readingsMessage = (count: number) =>
    record({
      time: "2026-11-25T08:30:00+01:00",
      readings: Array.from({ length: count }, (_, i) => ({
        kind: "traffic.vehicle_count",
        value: i,
        unit: "{vehicle}",
      })),
    });

  it("refuses a SenML pack and a readings array over 1,000 readings by default, saying how many and the setting", () => {
    for (const message of [senmlPack(1_001), readingsMessage(1_001)]) {
      const error = failure(() => normalize(message, decoders));
      expect(error.stage).toBe("decode");
      expect(error.message).toBe("the message holds 1001 readings, more than NORMALIZER_MAX_READINGS allows (1000)");
    }
    expect(normalize(senmlPack(1_000), decoders)).toHaveLength(1_000);
  });

  it("takes its bound from the options", () => {
    const options: NormalizeOptions = { decoders, context: defaultDecoderContext, maxReadings: 10 };
    expect(failure(() => normalizeWith(senmlPack(11), options)).message).toMatch(/holds 11 readings.*\(10\)/);
    expect(normalizeWith(senmlPack(10), options).observations).toHaveLength(10);
  });
});

describe("normalize with a device registry", () => {
  const registry = new DeviceRegistry([
    {
      id: "meter-0007",
      tenant: "musterstadt",
      location: { lat: 51.0504, lon: 13.7373 },
      district: "Altstadt",
      privacy: "personal",
    },
    { id: "traffic-0001", tenant: "musterstadt", privacy: "public" },
    { id: "parking-0001", tenant: "musterstadt", district: "Altstadt", site: "parkhaus-markt", privacy: "public" },
    { id: "meter-0099", tenant: "anderstadt", privacy: "personal" },
  ]);
  const withRegistry = (raw: RawRecord, options: Partial<NormalizeOptions> = {}) =>
    normalizeWith(raw, { decoders, context: defaultDecoderContext, registry: () => registry, ...options });
  const payload = {
    time: "2026-11-25T07:30:00Z",
    readings: [
      { kind: "energy.active_import", value: 1234, unit: "Wh" },
      { kind: "energy.active_power", value: 350, unit: "W" },
    ],
  };

  it("adds location, district and privacy from the registry to every observation", () => {
    const { observations } = withRegistry(record(payload));
    expect(observations).toHaveLength(2);
    for (const observation of observations) {
      expect(observation).toMatchObject({
        deviceId: "meter-0007",
        location: { lat: 51.0504, lon: 13.7373 },
        district: "Altstadt",
        privacy: "personal",
      });
    }
  });

  it("adds the device's parking site under observation v2 (marking it v2), and leaves it out under v1", () => {
    const bay = record(
      { time: "2026-11-25T07:30:00Z", readings: [{ kind: "parking.occupied", value: 1, unit: "1" }] },
      { key: "parking-0001" },
    );
    const [v2] = withRegistry(bay, { observationVersion: 2 }).observations;
    expect(v2).toMatchObject({ district: "Altstadt", site: "parkhaus-markt", privacy: "public" });
    expect(observationSchemaIdOf(v2 as Observation)).toBe(OBSERVATION_V2_SCHEMA_ID);
    const [v1] = withRegistry(bay).observations;
    expect(v1).toMatchObject({ district: "Altstadt", privacy: "public" });
    expect(v1).not.toHaveProperty("site");
    expect(observationSchemaIdOf(v1 as Observation)).toBe(OBSERVATION_SCHEMA_ID);
  });

  it("adds only what the registry knows about a device", () => {
    const [observation] = withRegistry(record(payload, { key: "traffic-0001" })).observations;
    expect(observation?.privacy).toBe("public");
    expect(observation).not.toHaveProperty("district");
    expect(observation).not.toHaveProperty("site");
    expect(observation).not.toHaveProperty("location");
  });

  it("dead-letters a device registered to another tenant, even under quarantine", () => {
    const error = failure(() => withRegistry(record(payload, { key: "meter-0099" }), { unknownDevices: "quarantine" }));
    expect(error.stage).toBe("enrich");
    expect(error.quarantine).toBe(false);
    expect(error.message).toMatch(/device meter-0099 is registered to tenant anderstadt, not to musterstadt/);
  });

  it("dead-letters an unknown device by default", () => {
    const error = failure(() => withRegistry(record(payload, { key: "meter-4711" })));
    expect(error.stage).toBe("enrich");
    expect(error.message).toBe("unknown device meter-4711 of tenant musterstadt");
    expect(error.quarantine).toBe(false);
  });

  it("marks an unknown device for quarantine when the policy says so", () => {
    const error = failure(() => withRegistry(record(payload, { key: "meter-4711" }), { unknownDevices: "quarantine" }));
    expect(error.stage).toBe("enrich");
    expect(error.quarantine).toBe(true);
  });

  it("reads the registry in force for each record, so that a reload takes effect at once", () => {
    let current = new DeviceRegistry([]);
    const options = { decoders, context: defaultDecoderContext, registry: () => current };
    expect(() => normalizeWith(record(payload), options)).toThrow(/unknown device meter-0007/);
    current = registry;
    expect(normalizeWith(record(payload), options).observations[0]?.district).toBe("Altstadt");
  });

  it("hands the decoder the device type registered for the record's tenant", () => {
    const typed = new DeviceRegistry([
      { id: "meter-0007", tenant: "musterstadt", privacy: "public", type: { id: "smart-meter" } },
      { id: "meter-0007", tenant: "anderstadt", privacy: "public", type: { id: "other-meter" } },
    ]);
    const seen: Array<string | undefined> = [];
    const spy = {
      format: "stadtfluss-json",
      decode: (raw: RawRecord, context: NormalizeOptions["context"]) => {
        seen.push(context.deviceType(raw.key ?? "")?.id);
        return decoders.get("stadtfluss-json")?.decode(raw, context) ?? { readings: [], unmapped: [] };
      },
    };
    normalizeWith(record(payload), {
      decoders: new Map([["stadtfluss-json", spy]]),
      context: defaultDecoderContext,
      registry: () => typed,
    });
    expect(seen).toEqual(["smart-meter"]);
  });
});

describe("normalize with the time policy", () => {
  const reading = { kind: "air.pm10", value: 1, unit: "ug/m3" };
  const receivedAt = new Date("2026-11-25T07:30:00.000Z");
  const at = (time: string) =>
    normalizeWith(record({ time, readings: [reading] }, { receivedAt }), {
      decoders,
      context: defaultDecoderContext,
      timePolicy: defaultTimePolicy,
    });

  it("accepts times within the limits on both sides", () => {
    expect(at("2026-11-25T07:34:59Z").observations).toHaveLength(1);
    expect(at("2026-11-18T07:30:01Z").observations).toHaveLength(1);
  });

  it("dead-letters a time too far in the future with how far", () => {
    const error = failure(() => at("2026-11-28T07:30:00Z"));
    expect(error.stage).toBe("policy");
    expect(error.message).toMatch(/^observedAt 2026-11-28T07:30:00.000Z is 3 days in the future/);
  });

  it("dead-letters a time older than the maximum age with how old", () => {
    const error = failure(() => at("2026-11-17T07:30:00Z"));
    expect(error.stage).toBe("policy");
    expect(error.message).toBe(
      "observedAt 2026-11-17T07:30:00.000Z is 8 days old (received 2026-11-25T07:30:00.000Z, at most 7 days allowed)",
    );
  });

  it("does not check times without a policy", () => {
    const observations = normalizeWith(record({ time: "1970-01-01T00:00:00Z", readings: [reading] }), {
      decoders,
      context: defaultDecoderContext,
    }).observations;
    expect(observations[0]?.observedAt).toBe("1970-01-01T00:00:00.000Z");
  });
});

/** One point per device, kind, channel and time: docs/delivery.md, "Point identity". */
describe("normalize keeps distinct readings apart, or refuses the message", () => {
  const count = (value: number, extra: Record<string, unknown> = {}) => ({
    kind: "traffic.vehicle_count",
    value,
    unit: "{vehicle}",
    ...extra,
  });
  const lanes = {
    seq: 3,
    time: "2026-11-25T07:30:00Z",
    readings: [count(12, { channel: "lane-1" }), count(7, { channel: 2 })],
  };
  const v2 = (raw: RawRecord, options: Partial<NormalizeOptions> = {}) =>
    normalizeWith(raw, { decoders, context: defaultDecoderContext, observationVersion: 2, ...options });

  it("refuses two readings of one kind at one time without a channel, naming both", () => {
    const error = failure(() => v2(record({ time: "2026-11-25T07:30:00Z", readings: [count(12), count(7)] })));
    expect(error.stage).toBe("identity");
    expect(error.message).toBe(
      "readings 1 and 2 are both traffic.vehicle_count of device meter-0007 at 2026-11-25T07:30:00.000Z: in InfluxDB one would overwrite the other, and no channel tells them apart",
    );
  });

  it("refuses two readings with the same channel, and accepts one kind at two times", () => {
    const same = { time: 0, readings: [count(1, { channel: "a" }), count(2, { channel: "a" })] };
    expect(failure(() => v2(record(same))).message).toMatch(/^readings 1 and 2 .* channel a at /);
    const senml = JSON.stringify([
      { bn: "urn:dev:ow:1:", bt: 1.7e9, n: "temperature", u: "Cel", v: 1 },
      { n: "temperature", u: "Cel", t: 60, v: 2 },
    ]);
    expect(v2(record(senml, { format: "senml" })).observations.map((o) => [o.observedAt, o.channel])).toEqual([
      ["2023-11-14T22:13:20.000Z", undefined],
      ["2023-11-14T22:14:20.000Z", undefined],
    ]);
  });

  it("keeps a channel the payload declares, also for a device's only reading of its kind", () => {
    const { observations } = v2(record(lanes));
    expect(observations.map((o) => [o.channel, o.value])).toEqual([
      ["lane-1", 12],
      ["2", 7],
    ]);
    const single = v2(record({ time: 0, readings: [count(1, { channel: "lane-1" })] })).observations;
    expect(single[0]?.channel).toBe("lane-1");
  });

  it("refuses a channel that could not be a short tag, in the validate stage", () => {
    for (const channel of ["lane 1", "x".repeat(33), ""]) {
      const error = failure(() => v2(record({ time: 0, readings: [count(1, { channel })] })));
      expect(error.stage, channel).toBe("validate");
      expect(error.message).toMatch(/^invalid observation: channel: /);
    }
  });

  it("under observation v1 (the default) refuses a message that needs a channel, naming the setting", () => {
    const error = failure(() => normalizeWith(record(lanes), { decoders, context: defaultDecoderContext }));
    expect(error.stage).toBe("identity");
    expect(error.message).toBe(
      "reading 1 (traffic.vehicle_count) has channel lane-1, which observation v1 cannot carry: set NORMALIZER_OBSERVATION_VERSION=2 once every influx-writer reads observation v2",
    );
    // A device with one sensor of each kind needs no channel, and passes as before.
    const one = normalizeWith(record({ time: 0, readings: [count(1)] }), { decoders, context: defaultDecoderContext });
    expect(one.observations).toHaveLength(1);
  });

  it("takes the channels of a device type's fields, and refuses fields of one kind without them", () => {
    const registry = (channels: boolean) =>
      new DeviceRegistry([
        {
          id: "weather-0001",
          tenant: "musterstadt",
          privacy: "public",
          type: {
            id: "two-probes",
            timePath: "ts",
            fields: [
              { path: "t1", kind: "air.temperature", unit: "Cel", ...(channels ? { channel: "inside" } : {}) },
              { path: "t2", kind: "air.temperature", unit: "Cel", ...(channels ? { channel: "outside" } : {}) },
            ],
          },
        },
      ]);
    const raw = record(
      { ts: "2026-11-25T07:30:00Z", t1: 21.5, t2: 3.25 },
      { key: "weather-0001", format: "generic-json" },
    );
    const { observations } = v2(raw, { registry: () => registry(true) });
    expect(observations.map((o) => [o.kind, o.channel, o.value])).toEqual([
      ["air.temperature", "inside", 21.5],
      ["air.temperature", "outside", 3.25],
    ]);
    expect(failure(() => v2(raw, { registry: () => registry(false) })).stage).toBe("identity");
  });
});
