import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  OBSERVATION_SCHEMA_ID,
  OBSERVATION_V2_SCHEMA_ID,
  OBSERVATION_V3_SCHEMA_ID,
  OBSERVATION_V4_SCHEMA_ID,
  type Observation,
  parseObservation,
  parseObservationList,
  parseObservationV4,
  SHAREABLE_FIELDS,
  serializeObservationList,
  serializeObservationsV4,
} from "./observation.ts";
import { readObservationRecord, readObservationRecords } from "./observation-record.ts";

const valid = {
  tenant: "musterstadt",
  deviceId: "dev-0042",
  kind: "traffic.vehicle_count",
  value: 17,
  unit: "{vehicle}",
  observedAt: "2026-12-04T10:00:00.123Z",
  receivedAt: "2026-12-04T10:00:00.200+01:00",
  source: "city",
  seq: 123,
  location: { lat: 51.05, lon: 13.74 },
  district: "Altstadt",
  privacy: "public",
  channel: "lane-2",
  meterSerial: "K8EG004046395507",
  site: "parkhaus-markt",
};

/** Values near the schema's edges, for any key. */
const tricky = fc.oneof(
  fc.constantFrom(
    null,
    "",
    " ",
    "x".repeat(129),
    "x".repeat(64),
    "x".repeat(65),
    "x".repeat(33),
    "-dev",
    "dev 1",
    "dev/1",
    "2026-02-29T10:00:00.000Z",
    "2028-02-29T10:00:00.000Z",
    "2026-12-04T10:00:00Z",
    "2026-12-04T10:00:00.1234Z",
    "2026-12-04T24:00:00.000Z",
    "2026-12-04T10:00:00.000+0100",
    "2026-12-04 10:00:00.000Z",
    "traffic.vehicle_count",
    "air.pm10",
    "ug/m3",
    "{vehicle}",
    "public",
    "personal",
    "secret",
    "__proto__",
    -1,
    0,
    -0,
    1.5,
    2 ** 53,
    2 ** 53 - 1,
    1e308,
    91,
    -180.5,
    true,
    [],
    {},
    { lat: 0, lon: 0 },
    { lat: 0, lon: 0, alt: 3 },
    { lat: 90, lon: 180 },
    { lat: -91, lon: 0 },
    { lat: "0", lon: 0 },
  ),
  fc.string(),
  fc.double(),
  fc.integer(),
  fc.jsonValue({ maxDepth: 2 }),
);

const keys = [...Object.keys(valid), "n", "__proto__", "constructor", "Tenant"];

/** A valid observation with some keys replaced, removed or added. */
const record = fc
  .tuple(
    fc.dictionary(fc.constantFrom(...keys), tricky, { maxKeys: 4 }),
    fc.subarray(Object.keys(valid), { maxLength: 3 }),
  )
  .map(([replaced, removed]) => {
    const base: Record<string, unknown> = { ...valid };
    for (const key of removed) delete base[key];
    return (
      JSON.stringify(base).slice(0, -1) + (Object.keys(replaced).length ? "," : "") + JSON.stringify(replaced).slice(1)
    );
  });

/** A valid observation with one bounded field just inside or just beyond a length bound (channel 32, district and site 64, ids 128). */
const atLengthBound = fc
  .tuple(
    fc.constantFrom("tenant", "deviceId", "source", "district", "channel", "meterSerial", "site"),
    fc.constantFrom(32, 33, 64, 65, 128, 129),
  )
  .map(([key, length]) => JSON.stringify({ ...valid, [key]: "p".repeat(length) }));

function outcome(read: () => unknown): { ok: unknown } | { refused: string } {
  try {
    return { ok: read() };
  } catch (error) {
    return { refused: (error as Error).message };
  }
}

describe("reading an observation record", () => {
  it.each([OBSERVATION_SCHEMA_ID, OBSERVATION_V2_SCHEMA_ID])(
    "with content-type %s accepts, returns and refuses exactly as the schema does, with its reason",
    (contentType) => {
      fc.assert(
        fc.property(
          fc.oneof(
            record,
            atLengthBound,
            fc.string(),
            fc.jsonValue().map((v) => JSON.stringify(v)),
          ),
          (json) => {
            expect(outcome(() => readObservationRecord(json, contentType))).toEqual(
              outcome(() => parseObservation(json)),
            );
          },
        ),
        { numRuns: 5_000 },
      );
    },
  );

  it("accepts a valid record by the cheaper check, and one without privacy as personal", () => {
    const { privacy, ...undeclared } = valid;
    expect(readObservationRecord(JSON.stringify(valid), OBSERVATION_V2_SCHEMA_ID)).toEqual(valid);
    expect(readObservationRecord(Buffer.from(JSON.stringify(undeclared)), OBSERVATION_SCHEMA_ID).privacy).toBe(
      "personal",
    );
  });

  it("refuses a forged record with the observation content type but a bad body", () => {
    const forged = JSON.stringify({ ...valid, observedAt: "yesterday" });
    expect(() => readObservationRecord(forged, OBSERVATION_SCHEMA_ID)).toThrow(/observedAt/);
    expect(() => readObservationRecord("{not json", OBSERVATION_SCHEMA_ID)).toThrow(SyntaxError);
  });
});

/** A v3 body: a list of records of which most are valid, or an empty list, or something else entirely. */
const list = fc.oneof(
  fc
    .array(fc.oneof(fc.constant(JSON.stringify(valid)), record, atLengthBound), { minLength: 0, maxLength: 5 })
    .map((items) => `[${items.join(",")}]`),
  fc.array(fc.constant(JSON.stringify(valid)), { minLength: 1, maxLength: 5 }).map((items) => `[${items.join(",")}]`),
  record,
  fc.jsonValue().map((v) => JSON.stringify(v)),
  fc.string(),
);

describe("reading an observation v3 record (the observations of one message and device)", () => {
  it("accepts, returns and refuses exactly as the list schema does, with its reason", () => {
    fc.assert(
      fc.property(list, (json) => {
        expect(outcome(() => readObservationRecords(json, OBSERVATION_V3_SCHEMA_ID))).toEqual(
          outcome(() => parseObservationList(json)),
        );
      }),
      { numRuns: 5_000 },
    );
  });

  it.each([OBSERVATION_SCHEMA_ID, OBSERVATION_V2_SCHEMA_ID, undefined])(
    "reads a record with content-type %s as the one observation readObservationRecord reads",
    (contentType) => {
      fc.assert(
        fc.property(fc.oneof(record, list), (json) => {
          expect(outcome(() => readObservationRecords(json, contentType))).toEqual(
            outcome(() => [readObservationRecord(json, contentType)]),
          );
        }),
        { numRuns: 1_000 },
      );
    },
  );

  it("returns every observation of a valid list in its order, undeclared privacy as personal", () => {
    const { privacy, ...undeclared } = valid;
    const second = { ...undeclared, kind: "air.pm10", unit: "ug/m3", value: 12.3 };
    expect(readObservationRecords(JSON.stringify([valid, second]), OBSERVATION_V3_SCHEMA_ID)).toEqual([
      valid,
      { ...second, privacy: "personal" },
    ]);
  });

  it("refuses a forged list: an empty one, a single object, one bad item", () => {
    expect(() => readObservationRecords("[]", OBSERVATION_V3_SCHEMA_ID)).toThrow(/>=1|at least 1/);
    expect(() => readObservationRecords(JSON.stringify(valid), OBSERVATION_V3_SCHEMA_ID)).toThrow(/array/);
    const forged = JSON.stringify([valid, { ...valid, observedAt: "yesterday" }]);
    expect(() => readObservationRecords(forged, OBSERVATION_V3_SCHEMA_ID)).toThrow(/observedAt/);
  });
});

/** A valid observation of one device with fields drawn from small pools, so that lists share some and not others. */
const deviceObservation = fc.record(
  {
    tenant: fc.constantFrom("musterstadt", "stadtwerke"),
    deviceId: fc.constant("dev-0042"),
    reading: fc.constantFrom(
      { kind: "traffic.vehicle_count", unit: "{vehicle}" },
      { kind: "traffic.average_speed", unit: "km/h" },
      { kind: "air.pm10", unit: "ug/m3" },
    ),
    value: fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true })),
    observedAt: fc.constantFrom("2026-12-04T10:00:00.123Z", "2026-12-04T10:00:01.000+01:00"),
    receivedAt: fc.constantFrom("2026-12-04T10:00:00.200Z", "2026-12-04T10:00:02.000Z"),
    source: fc.constantFrom("city", "gateway-1"),
    seq: fc.nat(),
    location: fc.constantFrom({ lat: 51.05, lon: 13.74 }, { lat: -90, lon: 180 }),
    district: fc.constantFrom("Altstadt", "Neustadt"),
    privacy: fc.constantFrom("public", "personal"),
    channel: fc.constantFrom("lane-1", "lane-2"),
    meterSerial: fc.constant("K8EG004046395507"),
    site: fc.constant("parkhaus-markt"),
  },
  { requiredKeys: ["tenant", "deviceId", "reading", "value", "observedAt", "receivedAt", "source"] },
);

/** Most lists alike but for their readings, as a device's message is; some with a field that differs, is added or is missing. */
const observationsOfOneDevice = fc
  .tuple(
    deviceObservation,
    fc.array(
      fc.tuple(
        deviceObservation,
        fc.oneof(
          { weight: 3, arbitrary: fc.constant([]) },
          {
            weight: 1,
            arbitrary: fc.subarray(
              [...SHAREABLE_FIELDS].filter((key) => key !== "deviceId"),
              { maxLength: 2 },
            ),
          },
        ),
        fc.oneof(
          { weight: 3, arbitrary: fc.constant([]) },
          {
            weight: 1,
            arbitrary: fc.subarray(["seq", "location", "district", "privacy", "channel", "meterSerial", "site"], {
              maxLength: 2,
            }),
          },
        ),
      ),
      { minLength: 1, maxLength: 4 },
    ),
  )
  .map(([base, items]) =>
    items.map(([own, differing, missing]) => {
      const observation: Record<string, unknown> = { ...base, reading: own.reading, value: own.value };
      for (const key of differing) observation[key] = own[key as keyof typeof own];
      for (const key of missing) delete observation[key];
      for (const key of Object.keys(observation)) if (observation[key] === undefined) delete observation[key];
      const { reading, ...rest } = observation as typeof base;
      return { ...rest, ...reading } as unknown as Observation;
    }),
  );

/** A v4 body: valid shared fields and readings with some keys replaced, removed or added, or something else entirely. */
const v4Body = fc.oneof(
  fc
    .tuple(
      fc.dictionary(fc.constantFrom(...keys), tricky, { maxKeys: 2 }),
      fc.array(
        fc.tuple(
          fc.constantFrom(
            { kind: "traffic.vehicle_count", value: 17 },
            { kind: "air.pm10", value: 12.3, unit: "ug/m3" },
            { kind: "air.pm10", value: 1, channel: "inside", observedAt: "2026-12-04T10:00:01.000Z" },
          ),
          fc.dictionary(fc.constantFrom(...keys), tricky, { maxKeys: 2 }),
        ),
        { minLength: 0, maxLength: 3 },
      ),
    )
    .map(([replaced, readings]) => {
      const { kind, value, unit, channel, ...shared } = valid;
      return JSON.stringify({
        ...shared,
        ...replaced,
        readings: readings.map(([reading, changed]) => ({ ...reading, ...changed })),
      });
    }),
  fc.jsonValue().map((v) => JSON.stringify(v)),
  fc.string(),
);

describe("reading an observation v4 record (what the readings share written once)", () => {
  it("accepts, returns and refuses exactly as the v4 schema does, with its reason", () => {
    fc.assert(
      fc.property(v4Body, (json) => {
        expect(outcome(() => readObservationRecords(json, OBSERVATION_V4_SCHEMA_ID))).toEqual(
          outcome(() => parseObservationV4(json)),
        );
      }),
      { numRuns: 5_000 },
    );
  });

  it("reads back the observations a v4 record was written from, as their v3 record reads", () => {
    fc.assert(
      fc.property(observationsOfOneDevice, (observations) => {
        const v4 = serializeObservationsV4(observations);
        const expected = readObservationRecords(serializeObservationList(observations), OBSERVATION_V3_SCHEMA_ID);
        expect(readObservationRecords(v4, OBSERVATION_V4_SCHEMA_ID)).toEqual(expected);
        expect(parseObservationV4(v4)).toEqual(expected);
      }),
      { numRuns: 2_000 },
    );
  });

  it("writes what the readings share once, and each reading's unit only where it is not its kind's", () => {
    const { privacy, channel, meterSerial, site, ...rest } = valid;
    const second = { ...rest, kind: "air.pm10", unit: "ug/m3", value: 12.3 };
    const v4 = JSON.parse(serializeObservationsV4([rest as Observation, second as Observation]));
    expect(v4).toEqual({
      tenant: "musterstadt",
      deviceId: "dev-0042",
      source: "city",
      observedAt: valid.observedAt,
      receivedAt: valid.receivedAt,
      seq: 123,
      location: valid.location,
      district: "Altstadt",
      readings: [
        { kind: "traffic.vehicle_count", value: 17 },
        { kind: "air.pm10", value: 12.3 },
      ],
    });
    const twoTimes = serializeObservationsV4([
      rest as Observation,
      { ...second, observedAt: "2026-12-04T10:00:01.000Z", unit: "mg/m3" } as Observation,
    ]);
    expect(JSON.parse(twoTimes).readings).toEqual([
      { kind: "traffic.vehicle_count", value: 17, observedAt: valid.observedAt },
      { kind: "air.pm10", value: 12.3, unit: "mg/m3", observedAt: "2026-12-04T10:00:01.000Z" },
    ]);
    expect(() => readObservationRecords(twoTimes, OBSERVATION_V4_SCHEMA_ID)).toThrow(/canonical unit/);
  });

  it("refuses a forged record: no readings, a measured value shared, one bad reading", () => {
    const { kind, value, unit, ...shared } = valid;
    expect(() => readObservationRecords(JSON.stringify({ ...shared, readings: [] }), OBSERVATION_V4_SCHEMA_ID)).toThrow(
      />=1|at least 1/,
    );
    expect(() =>
      readObservationRecords(JSON.stringify({ ...shared, value: 1, readings: [{ kind }] }), OBSERVATION_V4_SCHEMA_ID),
    ).toThrow(/value is not a field the readings may share/);
    const forged = JSON.stringify({
      ...shared,
      readings: [
        { kind, value },
        { kind, value, observedAt: "yesterday" },
      ],
    });
    expect(() => readObservationRecords(forged, OBSERVATION_V4_SCHEMA_ID)).toThrow(/observedAt/);
  });
});
