import { describe, expect, it } from "vitest";
import { createCodecSandbox } from "../codecs/codec-sandbox.ts";
import { NormalizeError, normalize } from "../normalize.ts";
import { decoders } from "./index.ts";
import { decoderContextFor, loadCases } from "./testdata-case.ts";

// Fixtures with a device type `codec` run it as the normalizer does: in the sandbox.
const codecs = await createCodecSandbox();

/** Every fixture folder under testdata/ is a case: a new real payload needs no new test code. */
describe.each(Object.entries(Object.groupBy(loadCases(), (c) => c.format)))("%s", (_, cases = []) => {
  it.each(cases.map((c) => [c.name, c] as const))("%s", (_, testCase) => {
    const options = {
      decoders,
      context: decoderContextFor(testCase, codecs.run),
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
    expect(result.unmapped.sort()).toEqual([...(expected.unmapped ?? [])].sort());
  });
});
