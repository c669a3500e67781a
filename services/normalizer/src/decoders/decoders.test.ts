import { observationV1Schema, serializeObservation } from "@stadtfluss/schemas";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createCodecSandbox } from "../codecs/codec-sandbox.ts";
import { NormalizeError, type NormalizeOptions, normalize } from "../normalize.ts";
import { defaultTimePolicy } from "../policy/time-policy.ts";
import { decoders } from "./index.ts";
import { type DecoderCase, decoderContextFor, loadCases } from "./testdata-case.ts";

// Fixtures with a device type `codec` run it as the normalizer does: in the sandbox.
const codecs = await createCodecSandbox();

/** Every fixture folder under testdata/ is a case: a new real payload needs no new test code. */
describe.each(Object.entries(Object.groupBy(loadCases(), (c) => c.format)))("%s", (_, cases = []) => {
  it.each(cases.map((c) => [c.name, c] as const))("%s", (_, testCase) => {
    const options = {
      decoders,
      context: decoderContextFor(testCase, codecs.run),
      ...(testCase.observationVersion ? { observationVersion: testCase.observationVersion } : {}),
    };
    if ("error" in testCase.expected) {
      const { stage, message } = testCase.expected.error;
      let caught: unknown;
      try {
        normalize(testCase.record, options);
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(NormalizeError);
      expect((caught as NormalizeError).stage).toBe(stage);
      expect((caught as NormalizeError).message).toContain(message);
      return;
    }
    const expected = testCase.expected;
    const result = normalize(testCase.record, options);
    // Compare the fields the fixture names, so that fixtures stay readable.
    const named = result.observations.map((o, i) =>
      Object.fromEntries(
        Object.keys(expected.observations[i] ?? {}).map((k) => [k, (o as Record<string, unknown>)[k]]),
      ),
    );
    expect(named).toEqual(expected.observations);
    expect(result.observations).toHaveLength(expected.observations.length);
    // The channel is part of a point's identity: compared even where the fixture names none.
    expect(result.observations.map((o) => (o as { channel?: string }).channel)).toEqual(
      expected.observations.map((o) => o.channel),
    );
    expect(result.unmapped.sort()).toEqual([...(expected.unmapped ?? [])].sort());
  });
});

/** What `normalize` made of a case: its observations, or the stage and reason it refused it at. */
function outcome(testCase: DecoderCase, options: NormalizeOptions): unknown {
  try {
    return normalize(testCase.record, options);
  } catch (error) {
    if (!(error instanceof NormalizeError)) throw error;
    return { stage: error.stage, message: error.message };
  }
}

/**
 * A record is judged by its own receive time, never by today's date: the pipeline's
 * tests and a replay from Kafka must give the same answer on any day. The clock is
 * moved decades either way; decode and time policy must not notice.
 */
describe("decoding and the time policy do not depend on today's date", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it.each(loadCases().map((c) => [`${c.format}/${c.name}`, c] as const))("%s", (_, testCase) => {
    const options = {
      decoders,
      context: decoderContextFor(testCase, codecs.run),
      timePolicy: defaultTimePolicy,
      ...(testCase.observationVersion ? { observationVersion: testCase.observationVersion } : {}),
    };
    const today = outcome(testCase, options);
    for (const now of ["2081-06-30T12:00:00Z", "1999-01-01T00:00:00Z"]) {
      vi.useFakeTimers({ now: new Date(now), toFake: ["Date"] });
      expect(outcome(testCase, options), now).toEqual(today);
      vi.useRealTimers();
    }
  });
});

/**
 * Under NORMALIZER_OBSERVATION_VERSION=1 (the default) an influx-writer from before
 * observation v2 must never meet a record it refuses: every fixture either becomes
 * records its strict v1 schema accepts, or is refused by the normalizer itself.
 */
describe("under observation v1 every record is one a v1 writer accepts", () => {
  it.each(loadCases().map((c) => [`${c.format}/${c.name}`, c] as const))("%s", (_, testCase) => {
    const result = outcome(testCase, { decoders, context: decoderContextFor(testCase, codecs.run) });
    const { expected } = testCase;
    if ("error" in expected) {
      expect(result).toMatchObject({ stage: expected.error.stage });
      return;
    }
    if (expected.observations.some((o) => o.channel !== undefined)) {
      expect(result).toMatchObject({
        stage: "identity",
        message: expect.stringContaining("set NORMALIZER_OBSERVATION_VERSION=2"),
      });
      return;
    }
    const { observations } = result as { observations: Parameters<typeof serializeObservation>[0][] };
    expect(observations).toHaveLength(expected.observations.length);
    for (const observation of observations) {
      const serialized = serializeObservation(observation);
      expect(observationV1Schema.safeParse(JSON.parse(serialized)).success, serialized).toBe(true);
    }
  });
});
