import { DecodeError } from "@stadtfluss/errors";
import { observationSchema, parseObservation, serializeObservation } from "@stadtfluss/schemas";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { createCodecSandbox } from "../codecs/codec-sandbox.ts";
import { NormalizeError, type NormalizeOptions, normalize } from "../normalize.ts";
import type { NormalizeStage } from "../normalize-error.ts";
import { defaultTimePolicy } from "../policy/time-policy.ts";
import type { RawRecord } from "../raw-record.ts";
import { crc16Arc } from "./crc16.ts";
import { decoders } from "./index.ts";
import { type DecoderCase, decoderContextFor, loadCases } from "./testdata-case.ts";

/**
 * Whatever arrives on the raw topic, `normalize()` either returns observations
 * that are valid or throws a NormalizeError naming its stage and reason; the
 * worker turns the latter into a dead letter. Any other exception, a reason
 * nobody can read, or a payload that takes seconds is a bug in a decoder.
 *
 * The payloads are random, or the real fixtures of testdata/ mutated, decoded
 * with the fixtures' own configuration (device types, codecs in the real
 * sandbox). A failure prints fast-check's seed and path; pass them back as
 * `fc.assert(property, { seed, path })` to replay the counterexample.
 */

const codecs = await createCodecSandbox();
afterAll(() => codecs.dispose());

const STAGES: readonly NormalizeStage[] = ["decode", "convert", "policy", "validate", "identity", "enrich"];
/** A dead letter's reason travels in a Kafka header and is read by people. */
const MAX_REASON_LENGTH = 1000;
/** Far above any real payload (codecs stop at 50 ms); catches runaway regular expressions and quadratic walks. */
const TIME_BUDGET_MS = 1000;
/** fast-check runs generate and shrink synchronously: vitest's 5 s default is too tight for a few hundred runs. */
const TEST_TIMEOUT_MS = 30_000;

const cases = loadCases();
const formats = [...decoders.keys()];
const casesOf = (format: string): DecoderCase[] => cases.filter((c) => c.format === format);
const JSON_FORMATS = formats.filter((format) => format !== "dsmr-p1");

/** With `timePolicy`, as the worker runs it: the policy stage reads every decoded time too. */
function optionsFor(testCase: DecoderCase, timePolicy = false): NormalizeOptions {
  return {
    decoders,
    ...(timePolicy ? { timePolicy: defaultTimePolicy } : {}),
    ...(testCase.observationVersion ? { observationVersion: testCase.observationVersion } : {}),
    context: decoderContextFor(testCase, codecs.run),
  };
}

function withPayload(testCase: DecoderCase, payload: Uint8Array | string): RawRecord {
  return { ...testCase.record, value: Buffer.from(payload) };
}

type Outcome = "observations" | "dead letter";

/** Runs one record and fails unless the outcome keeps the normalizer's contract. */
function normalizeKeepingContract(record: RawRecord, options: NormalizeOptions): Outcome {
  const started = performance.now();
  let observations: unknown[] | undefined;
  let thrown: unknown;
  try {
    observations = normalize(record, options).observations;
  } catch (error) {
    thrown = error;
  }
  const elapsed = performance.now() - started;
  if (elapsed > TIME_BUDGET_MS) throw new Error(`normalize took ${Math.round(elapsed)} ms`);

  if (observations) {
    // normalize throws "payload holds no readings" instead of returning nothing.
    expect(observations.length).toBeGreaterThan(0);
    for (const observation of observations) {
      const checked = observationSchema.safeParse(observation);
      if (!checked.success) throw new Error(`invalid observation escaped: ${checked.error.message}`);
      // The influx-writer reads it back from Kafka (JSON has no -0, hence the comparison with JSON's own copy).
      const serialized = serializeObservation(checked.data);
      expect(parseObservation(serialized)).toEqual(JSON.parse(serialized));
    }
    return "observations";
  }

  if (!(thrown instanceof NormalizeError))
    throw new Error(`normalize threw ${describeThrown(thrown)}`, { cause: thrown });
  // normalize wraps anything a decoder or the unit table throws; only a DecodeError there is a refusal, the rest a crash.
  if ((thrown.stage === "decode" || thrown.stage === "convert") && thrown.cause !== undefined) {
    if (!(thrown.cause instanceof DecodeError))
      throw new Error(`the ${thrown.stage} stage crashed: ${describeThrown(thrown.cause)}`, { cause: thrown.cause });
  }
  expect(STAGES).toContain(thrown.stage);
  expect(thrown.message.trim()).not.toBe("");
  expect(thrown.message.length).toBeLessThanOrEqual(MAX_REASON_LENGTH);
  return "dead letter";
}

function describeThrown(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

// ---------------------------------------------------------------------------
// Values a payload may hold where a decoder expects something else.

const nastyNumber = fc.oneof(
  fc.double(),
  fc.integer(),
  fc.constantFrom(
    0,
    -0,
    -1,
    1e308,
    -1e308,
    Number.MAX_VALUE,
    Number.MIN_VALUE,
    2 ** 53 + 2,
    1e21,
    1e11,
    2 ** 28,
    2 ** 32,
    8.64e15 + 1,
  ),
);

const nastyString = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.double().map(String),
  fc.constantFrom(
    "",
    " ",
    "NaN",
    "Infinity",
    "-Infinity",
    "1e999",
    "-1e999",
    "0x1F",
    "12,5",
    "null",
    "true",
    "-94 dBm",
    "2024-02-30T25:61:61Z",
    "+275760-09-13T00:00:00.000Z",
    "275760-09-14T00:00:00Z",
    "0000-01-01T00:00:00+00:00",
    "9999-12-31T23:59:59.999999999",
    "2026-03-29T02:30:00",
    "2026-10-25T02:30:00",
    "1970-01-01T00:00:00Z",
    "000000000000W",
    "991232000000S",
    "qg==",
    "====",
    "\u0000",
    "é".repeat(300),
    "😀".repeat(200),
  ),
);

/**
 * Nesting deep enough to overflow a recursive walk, which JSON.stringify (itself
 * recursive) cannot write: kept as a marker that `jsonText` writes out.
 */
interface DeepNesting {
  readonly depth: number;
  readonly as: "array" | "object";
}
const deepNestings = new WeakSet<object>();

const deepNesting = fc
  .tuple(fc.integer({ min: 100, max: 10_000 }), fc.constantFrom("array" as const, "object" as const))
  .map(([depth, as]) => {
    const marker: DeepNesting = { depth, as };
    deepNestings.add(marker);
    return marker;
  });

/** JSON.stringify, with each deep nesting marker written out in full. */
function jsonText(value: unknown): string {
  const text = JSON.stringify(value, (_, v: unknown) =>
    typeof v === "object" && v !== null && deepNestings.has(v)
      ? `@@deep:${(v as DeepNesting).depth}:${(v as DeepNesting).as}@@`
      : v,
  );
  return (text ?? "null").replace(/"@@deep:(\d+):(array|object)@@"/g, (_, depth: string, as: string) => {
    const n = Number(depth);
    return as === "array" ? `${"[".repeat(n)}1${"]".repeat(n)}` : `${'{"a":'.repeat(n)}1${"}".repeat(n)}`;
  });
}

const longArray = fc.integer({ min: 500, max: 5000 }).map((n) => Array.from({ length: n }, (_, i) => i % 7));

const wideObject = fc
  .integer({ min: 500, max: 5000 })
  .map((n) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`f${i}`, i])));

/** Rare, so that a payload holds a few of them rather than dozens: they cost time to write and parse. */
const hugeValue = fc.oneof(deepNesting, longArray, wideObject);

const nastyValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 12, arbitrary: nastyNumber },
  { weight: 12, arbitrary: nastyString },
  { weight: 3, arbitrary: fc.boolean() },
  { weight: 6, arbitrary: fc.constant(null) },
  { weight: 3, arbitrary: fc.constantFrom({}, []) },
  { weight: 6, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 2, arbitrary: hugeValue },
);

/** Keys that trip naive object handling, path splitting and SenML's must-understand rule. */
const nastyKey = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.constantFrom("__proto__", "constructor", "toString", "hasOwnProperty", "", ".", "a.b", "v_", "bn_", "e"),
);

// ---------------------------------------------------------------------------
// Format-shaped JSON: the structure and field names of the format's own
// fixtures, with random values and types, keys left out and keys added.

function shapedLike(template: unknown): fc.Arbitrary<unknown> {
  if (Array.isArray(template)) {
    const items = template.map(shapedLike);
    return fc.oneof(
      { weight: 6, arbitrary: fc.tuple(...items) },
      { weight: 1, arbitrary: fc.integer({ min: 0, max: 1000 }).map((n) => Array(n).fill(template[0] ?? null)) },
      { weight: 1, arbitrary: nastyValue },
    );
  }
  if (typeof template === "object" && template !== null) {
    const members = Object.entries(template).map(([key, value]) =>
      fc.option(
        shapedLike(value).map((v) => [key, v] as const),
        { freq: 8, nil: undefined },
      ),
    );
    const extra = fc.array(fc.tuple(nastyKey, nastyValue), { maxLength: 2 });
    return fc.oneof(
      {
        weight: 8,
        arbitrary: fc
          .tuple(fc.tuple(...members), extra)
          .map(([kept, added]) => Object.fromEntries([...kept.filter((m) => m !== undefined), ...added])),
      },
      { weight: 1, arbitrary: nastyValue },
    );
  }
  return fc.oneof({ weight: 1, arbitrary: fc.constant(template) }, { weight: 2, arbitrary: nastyValue });
}

function fixtureJson(testCase: DecoderCase): unknown {
  return JSON.parse(testCase.record.value.toString("utf8"));
}

// ---------------------------------------------------------------------------
// Mutations of the fixtures' bytes, of their JSON tree, and of P1 telegrams.

const byteMutation = (input: Buffer): fc.Arbitrary<Buffer> =>
  fc.oneof(
    // Bit flips.
    fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 7 })), { minLength: 1, maxLength: 8 }).map((flips) => {
      const bytes = Buffer.from(input);
      for (const [at, bit] of flips) {
        const i = at % bytes.length;
        bytes[i] = (bytes[i] ?? 0) ^ (1 << bit);
      }
      return bytes;
    }),
    // Truncation.
    fc.nat({ max: input.length }).map((end) => input.subarray(0, end)),
    // Bytes inserted.
    fc
      .tuple(fc.nat({ max: input.length }), fc.uint8Array({ minLength: 1, maxLength: 16 }))
      .map(([at, bytes]) => Buffer.concat([input.subarray(0, at), bytes, input.subarray(at)])),
    // Bytes deleted.
    fc
      .tuple(fc.nat({ max: input.length }), fc.integer({ min: 1, max: 16 }))
      .map(([at, count]) => Buffer.concat([input.subarray(0, at), input.subarray(at + count)])),
  );

type JsonPath = readonly (string | number)[];

/** Every node of a JSON value, by path (the root is `[]`). */
function nodePaths(value: unknown, path: JsonPath = []): JsonPath[] {
  const here = [path];
  if (Array.isArray(value)) return here.concat(...value.map((v, i) => nodePaths(v, [...path, i])));
  if (typeof value === "object" && value !== null)
    return here.concat(...Object.entries(value).map(([k, v]) => nodePaths(v, [...path, k])));
  return here;
}

function replacedAt(root: unknown, path: JsonPath, replace: (node: unknown) => unknown): unknown {
  const [head, ...rest] = path;
  if (head === undefined) return replace(root);
  // An earlier edit may have replaced the container this path went through.
  if (typeof root !== "object" || root === null) return root;
  if (Array.isArray(root)) return root.map((v, i) => (i === head ? replacedAt(v, rest, replace) : v));
  const record = root as Record<string, unknown>;
  return { ...record, [head]: replacedAt(record[head], rest, replace) };
}

const DELETE = Symbol("delete");

function withoutDeleted(value: unknown): unknown {
  if (Array.isArray(value)) return value.filter((v) => v !== DELETE).map(withoutDeleted);
  if (typeof value === "object" && value !== null)
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, v]) => v !== DELETE)
        .map(([k, v]) => [k, withoutDeleted(v)]),
    );
  return value;
}

const jsonMutation = (input: unknown): fc.Arbitrary<string> => {
  const paths = nodePaths(input);
  const pick = fc.constantFrom(...paths);
  const memberPaths = paths.filter((p) => p.length > 0);
  return fc.oneof(
    // A node replaced by a random value.
    fc.tuple(pick, nastyValue).map(([path, value]) => jsonText(replacedAt(input, path, () => value))),
    // Several nodes replaced.
    fc
      .array(fc.tuple(pick, nastyValue), { minLength: 2, maxLength: 5 })
      .map((edits) => jsonText(edits.reduce((json, [path, value]) => replacedAt(json, path, () => value), input))),
    // Keys (and array items) deleted.
    memberPaths.length === 0
      ? fc.constant(JSON.stringify(input))
      : fc
          .uniqueArray(fc.constantFrom(...memberPaths), { minLength: 1, maxLength: 6 })
          .map((deleted) =>
            JSON.stringify(withoutDeleted(deleted.reduce((json, path) => replacedAt(json, path, () => DELETE), input))),
          ),
  );
};

/** What the P1 telegram's registers may say instead of a meter reading. */
const p1Value = fc.oneof(
  { weight: 1, arbitrary: nastyString },
  {
    weight: 3,
    arbitrary: fc
      .tuple(
        fc.oneof(fc.nat().map(String), fc.bigInt({ min: 0n, max: 10n ** 40n }).map(String), fc.constant("-5")),
        // Up to more decimals than any meter sends, and than Number#toFixed accepts (100).
        fc.option(
          fc.oneof(
            fc.stringMatching(/^\d{1,6}$/),
            fc.integer({ min: 95, max: 120 }).map((n) => "7".repeat(n)),
          ),
          { nil: undefined },
        ),
        fc.option(fc.constantFrom("kWh", "Wh", "MWh", "kW", "W", "V", "A", "m3", "kvarh", "s", "", "foo"), {
          nil: undefined,
        }),
      )
      .map(
        ([whole, fraction, unit]) => `${whole}${fraction ? `.${fraction}` : ""}${unit === undefined ? "" : `*${unit}`}`,
      ),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.stringMatching(/^\d{12}$/), fc.constantFrom("S", "W", "X", ""))
      .map(([digits, season]) => `${digits}${season}`),
  },
);

/** Lines a meter might add: total registers, M-Bus channels, the clock. */
const p1Line = fc
  .tuple(
    fc.constantFrom(
      "0-0:1.0.0",
      "1-0:1.8.0",
      "1-0:1.8.3",
      "1-0:2.8.0",
      "1-0:2.8.1",
      "1-0:2.7.0",
      "1-0:22.7.0",
      "0-0:96.1.1",
      "0-1:24.1.0",
      "0-2:24.1.0",
      "0-1:24.2.1",
      "0-2:24.2.3",
    ),
    fc.array(p1Value, { minLength: 1, maxLength: 3 }),
  )
  .map(([obis, values]) => `${obis}${values.map((v) => `(${v})`).join("")}`);

function withCrc(telegram: string): Buffer {
  const end = telegram.indexOf("!");
  if (end === -1) return Buffer.from(telegram, "latin1");
  const body = telegram.slice(0, end + 1);
  const crc = crc16Arc(Buffer.from(body, "latin1")).toString(16).toUpperCase().padStart(4, "0");
  return Buffer.from(`${body}${crc}\r\n`, "latin1");
}

/** Line deletions, changed values and added registers, with the CRC recomputed (so the parser behind it runs) or not. */
const telegramMutation = (input: Buffer, recomputeCrc: boolean): fc.Arbitrary<Buffer> => {
  const lines = input.toString("latin1").split("\r\n");
  const edit = fc.oneof(
    fc.nat().map((at) => (ls: string[]) => ls.filter((_, i) => i !== at % ls.length)),
    fc.tuple(fc.nat(), fc.nat(), p1Value).map(([at, group, value]) => (ls: string[]) => {
      const i = at % ls.length;
      const line = ls[i] ?? "";
      const groups = [...line.matchAll(/\(([^()]*)\)/g)];
      const target = groups[group % Math.max(groups.length, 1)];
      if (target?.index === undefined) return ls;
      const changed = `${line.slice(0, target.index)}(${value})${line.slice(target.index + target[0].length)}`;
      return ls.map((l, j) => (j === i ? changed : l));
    }),
    fc.tuple(fc.nat(), p1Line).map(([at, line]) => (ls: string[]) => {
      const i = 1 + (at % Math.max(ls.length - 2, 1));
      return [...ls.slice(0, i), line, ...ls.slice(i)];
    }),
  );
  return fc.array(edit, { minLength: 1, maxLength: 5 }).map((edits) => {
    const text = edits.reduce((ls, apply) => apply(ls), lines).join("\r\n");
    return recomputeCrc ? withCrc(text) : Buffer.from(text, "latin1");
  });
};

// ---------------------------------------------------------------------------

/** A fixture of the format (its configuration is the context) with a payload drawn from `payloadOf`. */
function recordsOf(format: string, payloadOf: (testCase: DecoderCase) => fc.Arbitrary<Uint8Array | string>) {
  return fc
    .constantFrom(...casesOf(format))
    .chain((testCase) =>
      fc.tuple(payloadOf(testCase), fc.boolean()).map(([payload, timePolicy]) => ({ testCase, payload, timePolicy })),
    );
}

function assertNeverCrashes(
  format: string,
  payloadOf: (testCase: DecoderCase) => fc.Arbitrary<Uint8Array | string>,
  numRuns: number,
): void {
  fc.assert(
    fc.property(recordsOf(format, payloadOf), ({ testCase, payload, timePolicy }) => {
      normalizeKeepingContract(withPayload(testCase, payload), optionsFor(testCase, timePolicy));
    }),
    { numRuns },
  );
}

describe.each(formats)("the %s decoder", (format) => {
  it("never crashes on arbitrary bytes", { timeout: TEST_TIMEOUT_MS }, () => {
    assertNeverCrashes(format, () => fc.uint8Array({ maxLength: 1024 }), 200);
  });

  it("never crashes on arbitrary text", { timeout: TEST_TIMEOUT_MS }, () => {
    assertNeverCrashes(format, () => fc.string({ unit: "binary", maxLength: 512 }), 200);
  });

  it("never crashes on arbitrary JSON values", { timeout: TEST_TIMEOUT_MS }, () => {
    assertNeverCrashes(format, () => fc.jsonValue().map(jsonText), 200);
  });

  it("never crashes on mutated bytes of its fixtures", { timeout: TEST_TIMEOUT_MS }, () => {
    assertNeverCrashes(format, (testCase) => byteMutation(testCase.record.value), 300);
  });
});

describe.each(JSON_FORMATS)("the %s decoder, given JSON", (format) => {
  it("never crashes on JSON with its fields' names and random values and types", { timeout: TEST_TIMEOUT_MS }, () => {
    assertNeverCrashes(format, (testCase) => shapedLike(fixtureJson(testCase)).map(jsonText), 300);
  });

  it("never crashes when a fixture's JSON nodes are replaced or its keys deleted", { timeout: TEST_TIMEOUT_MS }, () => {
    assertNeverCrashes(format, (testCase) => jsonMutation(fixtureJson(testCase)), 300);
  });
});

describe("the dsmr-p1 decoder, given telegrams", () => {
  it("never crashes on telegrams with lines deleted, values changed or registers added, the CRC recomputed", {
    timeout: TEST_TIMEOUT_MS,
  }, () => {
    assertNeverCrashes("dsmr-p1", (testCase) => telegramMutation(testCase.record.value, true), 500);
  });

  it("never crashes on such telegrams with the CRC they had", { timeout: TEST_TIMEOUT_MS }, () => {
    assertNeverCrashes("dsmr-p1", (testCase) => telegramMutation(testCase.record.value, false), 200);
  });
});

/** Where each LoRaWAN format carries the raw frame its codec decodes. */
const FRAMES: Readonly<Record<string, (uplink: Record<string, unknown>, frame: string, port: number) => unknown>> = {
  "ttn-v3": (uplink, frame, port) => {
    const message = uplink.uplink_message as Record<string, unknown>;
    return { ...uplink, uplink_message: { ...message, frm_payload: frame, f_port: port } };
  },
  "chirpstack-v4": (uplink, frame, port) => ({ ...uplink, data: frame, fPort: port }),
};

describe.each(Object.keys(FRAMES))("the %s decoder's device codecs", (format) => {
  const withCodec = casesOf(format).filter(
    (c) => Object.values(c.deviceTypes).some((type) => type.codec !== undefined) && !c.name.includes("loops"),
  );

  it("never crash on random frames and ports, run in the sandbox", { timeout: TEST_TIMEOUT_MS }, () => {
    expect(withCodec.length).toBeGreaterThan(0);
    const frame = fc.uint8Array({ maxLength: 64 }).map((bytes) => Buffer.from(bytes).toString("base64"));
    const port = fc.integer({ min: 0, max: 255 });
    fc.assert(
      fc.property(fc.constantFrom(...withCodec), frame, port, fc.boolean(), (testCase, payload, fPort, timePolicy) => {
        const uplink = FRAMES[format]?.(fixtureJson(testCase) as Record<string, unknown>, payload, fPort);
        normalizeKeepingContract(withPayload(testCase, JSON.stringify(uplink)), optionsFor(testCase, timePolicy));
      }),
      { numRuns: 300 },
    );
  });
});

// ---------------------------------------------------------------------------
// The worker's contract: it counts each record once, as observations or as a
// dead letter (normalizer.ts), so normalize must give it exactly one of them.

const anyRecord = fc.oneof(
  fc.constantFrom(...cases).map((testCase) => ({ testCase, payload: testCase.record.value as Uint8Array | string })),
  fc
    .constantFrom(...cases)
    .chain((testCase) => byteMutation(testCase.record.value).map((payload) => ({ testCase, payload }))),
  fc
    .constantFrom(...cases.filter((c) => c.format !== "dsmr-p1"))
    .chain((testCase) => jsonMutation(fixtureJson(testCase)).map((payload) => ({ testCase, payload }))),
  fc
    .constantFrom(...cases)
    .chain((testCase) => fc.uint8Array({ maxLength: 256 }).map((payload) => ({ testCase, payload }))),
);

/**
 * The headers the worker reads (normalizer.ts, toRecord): a format nobody
 * registered, a receive time anywhere in the Date range, or none that parses
 * (a record from another producer than the bridge).
 */
const anyHeaders = fc.record({
  format: fc.option(fc.constantFrom(...formats, "unknown", "", "TTN-V3"), { freq: 4, nil: undefined }),
  receivedAt: fc.option(fc.oneof(fc.date({ noInvalidDate: true }), fc.constant(new Date(Number.NaN))), {
    freq: 4,
    nil: undefined,
  }),
});

describe("the normalizer's outcome per record", () => {
  it("ends every record as observations or as a dead letter with a reason, never both, never neither", {
    timeout: TEST_TIMEOUT_MS,
  }, () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(anyRecord, anyHeaders, fc.boolean()), { minLength: 1, maxLength: 40 }), (batch) => {
        // The worker's loop: what normalize returns is produced, what it throws is dead-lettered.
        let produced = 0;
        const deadLetters: { stage: NormalizeStage; reason: string }[] = [];
        for (const [{ testCase, payload }, headers, timePolicy] of batch) {
          const record: RawRecord = {
            ...withPayload(testCase, payload),
            ...(headers.format === undefined ? {} : { format: headers.format }),
            ...(headers.receivedAt === undefined ? {} : { receivedAt: headers.receivedAt }),
          };
          try {
            const { observations } = normalize(record, optionsFor(testCase, timePolicy));
            // A record with no observations would be counted nowhere: neither produced nor dead-lettered.
            if (observations.length > 0) produced += 1;
          } catch (error) {
            if (!(error instanceof NormalizeError)) throw error;
            deadLetters.push({ stage: error.stage, reason: error.message });
          }
        }
        expect(produced + deadLetters.length).toBe(batch.length);
        for (const { stage, reason } of deadLetters) {
          expect(STAGES).toContain(stage);
          expect(reason.trim()).not.toBe("");
        }
      }),
      { numRuns: 100 },
    );
  });

  it("dead-letters a record whose receive time does not parse, at the decode stage", () => {
    const [testCase] = casesOf("stadtfluss-json");
    if (!testCase) throw new Error("no stadtfluss-json fixture");
    const record = { ...testCase.record, receivedAt: new Date("not a time") };
    expect(normalizeKeepingContract(record, optionsFor(testCase))).toBe("dead letter");
    expect(() => normalize(record, optionsFor(testCase))).toThrow("the record has no valid receive time");
  });

  it("refuses a payload that decodes to no readings at all instead of producing nothing", () => {
    const [testCase] = casesOf("senml");
    if (!testCase) throw new Error("no senml fixture");
    const onlyText = JSON.stringify([{ bn: "urn:dev:ow:10e2073a01080063:", n: "label", vs: "kitchen" }]);
    let caught: unknown;
    try {
      normalize(withPayload(testCase, onlyText), optionsFor(testCase));
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(NormalizeError);
    expect((caught as NormalizeError).stage).toBe("decode");
    expect((caught as NormalizeError).message).toBe("payload holds no readings");
  });
});
