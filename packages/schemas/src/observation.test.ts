import { describe, expect, it } from "vitest";
import {
  MAX_CHANNEL_LENGTH,
  MAX_SITE_LENGTH,
  OBSERVATION_SCHEMA_ID,
  OBSERVATION_V2_SCHEMA_ID,
  observationSchema,
  observationSchemaIdOf,
  observationV1Schema,
  parseObservation,
  serializeObservation,
} from "./index.ts";

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

  it("reads a record without privacy, as written before privacy was always set, as personal", () => {
    const { privacy, ...rest } = parseObservation(JSON.stringify(valid));
    expect(privacy).toBe("personal");
    expect(rest).toEqual(valid);
    expect(parseObservation(JSON.stringify({ ...valid, privacy: "public" })).privacy).toBe("public");
  });

  it("rejects fields it does not know, so that producers cannot drift silently", () => {
    expect(observationSchema.safeParse({ ...valid, colour: "red" }).success).toBe(false);
  });
});

describe("observation v2: v1 and a channel", () => {
  // A record as the normalizer of observation v1 wrote it, byte for byte.
  const v1Record =
    '{"tenant":"musterstadt","deviceId":"traffic-0001","kind":"traffic.vehicle_count","value":12,"unit":"{vehicle}",' +
    '"observedAt":"2026-11-25T07:30:00.000Z","receivedAt":"2026-11-25T07:30:00.120Z","source":"city-mosquitto","seq":41,"privacy":"public"}';

  it("reads a v1 record, and writes a record without a channel byte for byte as v1 did, under the v1 header", () => {
    const observation = parseObservation(v1Record);
    expect(serializeObservation(observation)).toBe(v1Record);
    expect(serializeObservation(observationSchema.parse({ ...valid, privacy: "public" }))).toBe(v1Record);
    expect(observationSchemaIdOf(observation)).toBe(OBSERVATION_SCHEMA_ID);
  });

  it("reads a record with a channel and marks it as v2", () => {
    const observation = parseObservation(JSON.stringify({ ...valid, channel: "lane-2" }));
    expect(observation.channel).toBe("lane-2");
    expect(observationSchemaIdOf(observation)).toBe(OBSERVATION_V2_SCHEMA_ID);
  });

  it("is what a v1 reader refuses: a channel is unknown to observation v1", () => {
    expect(observationV1Schema.safeParse(JSON.parse(v1Record)).success).toBe(true);
    expect(observationV1Schema.safeParse({ ...valid, channel: "1" }).success).toBe(false);
  });

  it("bounds the channel, since it becomes a tag: short, and letters, digits and . _ : @ - only", () => {
    expect(observationSchema.safeParse({ ...valid, channel: "x".repeat(MAX_CHANNEL_LENGTH) }).success).toBe(true);
    for (const channel of ["", "x".repeat(MAX_CHANNEL_LENGTH + 1), "lane 1", "-1", "a,b=c", 1])
      expect(observationSchema.safeParse({ ...valid, channel }).success, JSON.stringify(channel)).toBe(false);
  });
});

describe("observation v2: the meter serial", () => {
  it("reads a record with a meter serial, marks it as v2, and a v1 reader refuses it", () => {
    const observation = parseObservation(JSON.stringify({ ...valid, meterSerial: "K8EG004046395507" }));
    expect(observation.meterSerial).toBe("K8EG004046395507");
    expect(observationSchemaIdOf(observation)).toBe(OBSERVATION_V2_SCHEMA_ID);
    expect(observationV1Schema.safeParse({ ...valid, meterSerial: "K8EG004046395507" }).success).toBe(false);
  });

  it("bounds the meter serial as an identifier", () => {
    for (const meterSerial of ["", "x".repeat(129), "1 2", 4711])
      expect(observationSchema.safeParse({ ...valid, meterSerial }).success, JSON.stringify(meterSerial)).toBe(false);
  });
});

describe("observation v2: the site", () => {
  it("reads a record with a site, marks it as v2, and a v1 reader refuses it", () => {
    const observation = parseObservation(JSON.stringify({ ...valid, site: "parkhaus-markt" }));
    expect(observation.site).toBe("parkhaus-markt");
    expect(observationSchemaIdOf(observation)).toBe(OBSERVATION_V2_SCHEMA_ID);
    expect(observationV1Schema.safeParse({ ...valid, site: "parkhaus-markt" }).success).toBe(false);
  });

  it("bounds the site, since it becomes a tag: at most 64 characters, letters, digits and . _ : @ - only", () => {
    expect(observationSchema.safeParse({ ...valid, site: "x".repeat(MAX_SITE_LENGTH) }).success).toBe(true);
    for (const site of ["", "x".repeat(MAX_SITE_LENGTH + 1), "Parkhaus Markt", "-p", "a,b=c", "p\\", 7])
      expect(observationSchema.safeParse({ ...valid, site }).success, JSON.stringify(site)).toBe(false);
  });
});
