import { observationToLine, observationToPoint } from "@stadtfluss/influx";
import { createCodecSandbox } from "@stadtfluss/normalizer/codec-sandbox";
import { decoders } from "@stadtfluss/normalizer/decoders";
import { type DecoderCase, decoderContextFor, loadCases } from "@stadtfluss/normalizer/decoders/testdata";
import { type NormalizeOptions, normalize } from "@stadtfluss/normalizer/normalize";
import { type Observation, parseObservation, serializeObservation } from "@stadtfluss/schemas";

/**
 * One row of the table: a stage's work on one input, and the baseline measured
 * beside it on the same bytes or object (JSON.parse for what reads a payload,
 * JSON.stringify for what writes an observation), so that runs on shared,
 * noisy machines compare by the ratio.
 */
export interface StageRow {
  readonly stage: string;
  readonly input: string;
  readonly run: () => unknown;
  readonly baseline: string;
  readonly runBaseline: () => unknown;
  /** Observations one operation produces, for the cost per observation; decoder rows only. */
  readonly observations?: number;
}

/** One fixture per format (testdata/<format>/<case>), and the codec path of ttn-v3. */
const REPRESENTATIVE: readonly (readonly [format: string, fixture: string])[] = [
  ["stadtfluss-json", "traffic-counter"],
  // A third-party device's own JSON through a registered device type (three fields), right beside it.
  ["generic-json", "traffic-air-epoch-millis"],
  ["ttn-v3", "decoded-payload"],
  ["ttn-v3", "codec-real-uplink"],
  ["chirpstack-v4", "object-mapping"],
  ["senml", "rfc-5.1.3-multiple-measurements"],
  ["dsmr-p1", "dsmr-5-iskra"],
  ["tasmota-sml", "evcc-3787-status-sns"],
  ["sensor-community", "sds011-bme280"],
  ["generic-json", "tasmota-power-plug"],
];

/** The observation the serialisation rows write and read: the first of this fixture. */
const OBSERVATION_FIXTURE = ["stadtfluss-json", "traffic-counter"] as const;

export interface StageRows {
  readonly rows: StageRow[];
  readonly observation: Observation;
  readonly dispose: () => void;
}

export async function stageRows(): Promise<StageRows> {
  const codecs = await createCodecSandbox();
  const cases = loadCases();
  const find = (format: string, fixture: string): DecoderCase => {
    const found = cases.find((c) => c.format === format && c.name === fixture);
    if (!found) throw new Error(`no fixture testdata/${format}/${fixture}`);
    return found;
  };
  // As the worker runs it, without registry and time policy: decode, convert, validate.
  const optionsFor = (testCase: DecoderCase): NormalizeOptions => ({
    decoders,
    context: decoderContextFor(testCase, codecs.run),
  });

  const rows: StageRow[] = REPRESENTATIVE.map(([format, fixture]) => {
    const testCase = find(format, fixture);
    const options = optionsFor(testCase);
    const { record } = testCase;
    // A benchmark of the error path would flatter nobody: each fixture must decode.
    const { observations } = normalize(record, options);
    if (observations.length === 0) throw new Error(`${format}/${fixture} produced no observations`);
    const codec = Object.values(testCase.deviceTypes).some((t) => t.codec !== undefined);
    // A P1 telegram is not JSON: the baseline parses the same bytes as one JSON string.
    const json = format === "dsmr-p1" ? JSON.stringify(record.value.toString("latin1")) : undefined;
    return {
      stage: `decode + convert + validate: ${format}${codec ? " (codec in the sandbox)" : ""}`,
      input: `${fixture} (${record.value.length} B, ${observations.length} obs.)`,
      run: () => normalize(record, options),
      baseline: json === undefined ? "JSON.parse of the payload" : "JSON.parse of the telegram as a JSON string",
      runBaseline: json === undefined ? () => JSON.parse(record.value.toString("utf8")) : () => JSON.parse(json),
      observations: observations.length,
    };
  });

  const [format, fixture] = OBSERVATION_FIXTURE;
  const testCase = find(format, fixture);
  const [observation] = normalize(testCase.record, optionsFor(testCase)).observations;
  if (!observation) throw new Error(`${format}/${fixture} produced no observations`);
  const serialized = Buffer.from(serializeObservation(observation));
  const input = `${observation.kind} (${serialized.length} B as JSON)`;
  rows.push(
    {
      stage: "observation → InfluxDB line protocol",
      input,
      run: () => observationToLine(observation),
      baseline: "JSON.stringify of the observation",
      runBaseline: () => JSON.stringify(observation),
    },
    {
      stage: "observation → line protocol through the client's Point",
      input,
      run: () => observationToPoint(observation).toLineProtocol(),
      baseline: "JSON.stringify of the observation",
      runBaseline: () => JSON.stringify(observation),
    },
    {
      stage: "Kafka encode: serializeObservation",
      input,
      run: () => serializeObservation(observation),
      baseline: "JSON.stringify of the observation",
      runBaseline: () => JSON.stringify(observation),
    },
    {
      stage: "Kafka decode: parseObservation (parse + validate)",
      input,
      run: () => parseObservation(serialized),
      baseline: "JSON.parse of the same bytes",
      runBaseline: () => JSON.parse(serialized.toString()),
    },
  );
  return { rows, observation, dispose: codecs.dispose };
}
