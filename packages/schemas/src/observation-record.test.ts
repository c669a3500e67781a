import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  OBSERVATION_SCHEMA_ID,
  OBSERVATION_V2_SCHEMA_ID,
  OBSERVATION_V3_SCHEMA_ID,
  parseObservation,
  parseObservationList,
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
