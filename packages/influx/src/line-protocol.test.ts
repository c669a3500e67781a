import { InfluxDB, Point, type WriteApi } from "@influxdata/influxdb-client";
import { kinds, type Observation } from "@stadtfluss/schemas";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { type LineField, type LinePoint, toLineProtocol } from "./line-protocol.ts";
import { observationsToLines, observationToLine, observationToPoint } from "./observation-point.ts";

// The client's own conversion at the writer's precision: a WriteApi is the settings Point.toLineProtocol takes.
const api: WriteApi = new InfluxDB({ url: "http://influxdb.invalid" }).getWriteApi("", "bench", "ms", {
  flushInterval: 0,
  maxRetries: 0,
});
afterAll(() => api.close());

/** What line protocol escapes or quotes, mixed with plain and multi-byte characters. */
const text = fc.oneof(
  fc.string({ unit: fc.constantFrom(",", " ", "=", "\n", "\r", "\t", '"', "\\", "a", "Z", "0", "ä", "😀", "i", "T") }),
  fc.string({ unit: "binary" }),
);

const field: fc.Arbitrary<LineField> = fc.oneof(
  fc.record({ type: fc.constant("float" as const), value: fc.double({ noNaN: true, noDefaultInfinity: true }) }),
  fc.record({
    type: fc.constant("int" as const),
    value: fc.oneof(fc.integer(), fc.maxSafeInteger(), fc.double({ min: -9.2e18, max: 9.2e18, noNaN: true })),
  }),
  fc.record({ type: fc.constant("bool" as const), value: fc.boolean() }),
  fc.record({ type: fc.constant("string" as const), value: text }),
);

/** Any name but "__proto__", which the plain objects inside a Point cannot hold as a key. */
const name = text.filter((key) => key !== "__proto__");

const point: fc.Arbitrary<LinePoint> = fc.record({
  measurement: text,
  tags: fc.dictionary(name, text, { maxKeys: 6 }),
  fields: fc.dictionary(name, field, { maxKeys: 6 }),
  // Date's whole range, in milliseconds.
  timestampMs: fc.integer({ min: -8.64e15, max: 8.64e15 }),
});

function clientPoint(p: LinePoint): Point {
  const built = new Point(p.measurement).timestamp(new Date(p.timestampMs));
  for (const [name, value] of Object.entries(p.tags)) built.tag(name, value);
  for (const [name, f] of Object.entries(p.fields)) {
    if (f.type === "float") built.floatField(name, f.value);
    else if (f.type === "int") built.intField(name, f.value);
    else if (f.type === "bool") built.booleanField(name, f.value);
    else built.stringField(name, f.value);
  }
  return built;
}

describe("line protocol", () => {
  it("is exactly the line the client's Point writes, escaping and all", () => {
    fc.assert(
      fc.property(point, (p) => {
        expect(toLineProtocol(p)).toBe(clientPoint(p).toLineProtocol(api));
      }),
      { numRuns: 2_000 },
    );
  });

  it("refuses what the client's Point refuses: NaN, infinite floats, integers beyond 64 bits", () => {
    const invalid = fc.oneof(
      fc.record({ type: fc.constant("float" as const), value: fc.constantFrom(Number.NaN, Infinity, -Infinity) }),
      fc.record({
        type: fc.constant("int" as const),
        value: fc.oneof(
          fc.constant(Number.NaN),
          fc.double({ min: 9.3e18, noNaN: true }),
          fc.double({ max: -9.3e18, noNaN: true }),
        ),
      }),
    );
    fc.assert(
      fc.property(invalid, (f) => {
        const p: LinePoint = { measurement: "m", tags: {}, fields: { value: f }, timestampMs: 0 };
        expect(() => clientPoint(p)).toThrow();
        expect(() => toLineProtocol(p)).toThrow();
      }),
    );
  });

  it("writes the same line for an observation as observationToPoint's point", () => {
    const identifier = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._:@-]{0,20}$/);
    const observation: fc.Arbitrary<Observation> = fc.record(
      {
        tenant: identifier,
        deviceId: identifier,
        kind: fc.oneof(
          fc.constantFrom(...Object.keys(kinds)),
          fc.tuple(text, name).map(([measurement, quantity]) => `${measurement}.${quantity}`),
        ),
        value: fc.double({ noNaN: true, noDefaultInfinity: true }),
        unit: fc.constant("-"),
        observedAt: fc
          .date({ min: new Date("1970-01-01T00:00:00Z"), max: new Date("2200-01-01T00:00:00Z"), noInvalidDate: true })
          .map((d) => d.toISOString()),
        receivedAt: fc.constant("2026-01-01T00:00:00.000Z"),
        source: identifier,
        seq: fc.nat(),
        district: text,
        site: identifier,
        privacy: fc.constantFrom("public" as const, "personal" as const),
        channel: identifier,
        meterSerial: text,
      },
      {
        requiredKeys: ["tenant", "deviceId", "kind", "value", "unit", "observedAt", "receivedAt", "source", "privacy"],
      },
    ) as fc.Arbitrary<Observation>;
    fc.assert(
      fc.property(observation, (o) => {
        const expected = observationToPoint(o).toLineProtocol(api);
        if (expected === undefined) expect(() => observationToLine(o)).toThrow();
        else expect(observationToLine(o)).toBe(expected);
      }),
      { numRuns: 2_000 },
    );
  });

  it("merges one record's observations of one point into one line, as the client's Point given all their fields", () => {
    const identifier = fc.constantFrom("a", "b", "dev 1", "x,y");
    // Few distinct values, so that many observations share a point and some do not.
    const observation: fc.Arbitrary<Observation> = fc.record(
      {
        tenant: fc.constant("musterstadt"),
        deviceId: identifier,
        kind: fc.constantFrom(...Object.keys(kinds)),
        value: fc.double({ noNaN: true, noDefaultInfinity: true }),
        unit: fc.constant("-"),
        observedAt: fc.constantFrom("2026-12-04T10:00:00.000Z", "2026-12-04T10:00:00.001Z"),
        receivedAt: fc.constant("2026-12-04T10:00:01.000Z"),
        source: fc.constant("city"),
        seq: fc.nat({ max: 3 }),
        district: fc.constantFrom("", "Altstadt"),
        site: identifier,
        privacy: fc.constantFrom("public" as const, "personal" as const),
        // Empty is left out as absent is: the same series.
        channel: fc.oneof(identifier, fc.constant("")),
        meterSerial: fc.constantFrom("K8", "K9 a"),
      },
      {
        requiredKeys: ["tenant", "deviceId", "kind", "value", "unit", "observedAt", "receivedAt", "source", "privacy"],
      },
    ) as fc.Arbitrary<Observation>;
    // One message of one device: mostly one point, sometimes a kind of another measurement.
    const ofOneDevice = fc
      .tuple(
        observation,
        fc.array(
          fc.record(
            {
              kind: fc.constantFrom("traffic.vehicle_count", "traffic.average_speed", "traffic.occupancy", "air.pm10"),
              value: fc.double({ noNaN: true, noDefaultInfinity: true }),
              channel: fc.constantFrom("", "a"),
            },
            { requiredKeys: ["kind", "value"] },
          ),
          { minLength: 1, maxLength: 4 },
        ),
      )
      .map(([base, readings]) => readings.map((reading) => ({ ...base, ...reading }) as Observation));
    fc.assert(
      fc.property(fc.oneof(fc.array(observation, { minLength: 1, maxLength: 8 }), ofOneDevice), (observations) => {
        // The client's points, those with the same series and time given every field in order.
        const expected = new Map<string, { point: Point; first: Observation }>();
        for (const o of observations) {
          const point = observationToPoint(o);
          const probe = observationToPoint(o);
          probe.fields = { x: "0" };
          const key = probe.toLineProtocol(api) ?? "";
          const found = expected.get(key);
          if (found) Object.assign(found.point.fields, point.fields);
          else expected.set(key, { point, first: o });
        }
        expect(observationsToLines(observations)).toEqual(
          [...expected.values()].map(({ point, first }) => ({ line: point.toLineProtocol(api), observation: first })),
        );
      }),
      { numRuns: 2_000 },
    );
  });
});
