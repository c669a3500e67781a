import { parseArgs } from "node:util";
import { canonicalTimeZone } from "@stadtfluss/config";
import { type DeviceRegistry, loadRegistry, RegistryError } from "@stadtfluss/registry";
import { createCodecSandbox } from "./codecs/codec-sandbox.ts";
import { decoders } from "./decoders/index.ts";
import {
  defaultDecoderContext,
  NormalizeError,
  type NormalizeOptions,
  normalize,
  type ObservationVersion,
} from "./normalize.ts";
import { defaultTimePolicy, implausibleTime } from "./policy/time-policy.ts";
import { deviceFromTopic } from "./topic-device.ts";

/**
 * `pnpm decode`: how an operator tries a new device. One payload from standard
 * input through the same decoders, units, validation and registry as the
 * pipeline; observations as JSON lines on stdout, everything else on stderr.
 * Exit 0: observations printed; 1: the pipeline would not produce them (dead
 * letter or quarantine); 2: bad arguments or a broken registry.
 */

const USAGE = `usage: pnpm decode --format <id> [--topic <mqtt topic>] [--device <id>] [--tenant <tenant>]
                   [--registry <file or folder>] [--time-zone <zone>] [--gateway-time]
                   [--observation-version 1|2|3|4] < payload

Reads one raw payload from standard input and prints each observation the
normalizer would produce from it as one JSON line.

  --format <id>         payload format: ${[...decoders.keys()].sort().join(", ")}
  --topic <topic>       the MQTT topic it was published on; the device id (and for
                        stadtfluss-json the tenant) is taken from it
  --device <id>         the device id, instead of the one from the topic
  --tenant <tenant>     the tenant the bridge would set (default: from the topic,
                        else the registry's tenant of the device, else "local")
  --registry <path>     a registry YAML file or folder: devices are enriched, and an
                        unknown device is refused as in the pipeline
  --time-zone <zone>    for local times without an offset (default Europe/Berlin)
  --gateway-time        ttn-v3: the gateway's time instead of the network server's
  --observation-version as NORMALIZER_OBSERVATION_VERSION (default 1): 2 prints
                        channels where a device has several sensors of one kind;
                        3 and 4 print what 2 does (they pack records differently)

Exit codes: 0 observations printed, 1 the pipeline would refuse the payload
(stage and reason on stderr), 2 bad arguments or a broken registry.`;

const DEFAULT_TENANT = "local";

class UsageError extends Error {}

function argumentsFrom(argv: readonly string[]) {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values } = parsed;
  if (values.help) return undefined;
  if (!values.format) throw new UsageError("--format is required");
  if (!decoders.has(values.format))
    throw new UsageError(`unknown format "${values.format}"; known: ${[...decoders.keys()].sort().join(", ")}`);
  if (values.topic !== undefined && /[+#]/.test(values.topic))
    throw new UsageError(`--topic must be a topic, not a filter with + or #: "${values.topic}"`);
  const timeZone = canonicalTimeZone(values["time-zone"] ?? defaultDecoderContext.timeZone);
  if (!timeZone) throw new UsageError(`--time-zone "${values["time-zone"]}" is not an IANA time zone`);
  const version = values["observation-version"] ?? "1";
  if (version !== "1" && version !== "2" && version !== "3" && version !== "4")
    throw new UsageError("--observation-version must be 1, 2, 3 or 4");
  return {
    ...values,
    format: values.format,
    timeZone,
    observationVersion: Number(version) as ObservationVersion,
  } as const;
}

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    strict: true,
    allowPositionals: false,
    options: {
      format: { type: "string" },
      topic: { type: "string" },
      device: { type: "string" },
      tenant: { type: "string" },
      registry: { type: "string" },
      "time-zone": { type: "string" },
      "gateway-time": { type: "boolean", default: false },
      "observation-version": { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
}

async function readStdin(): Promise<Buffer> {
  if (process.stdin.isTTY) process.stderr.write("reading the payload from standard input (end it with Ctrl-D)\n");
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function run(argv: readonly string[]): Promise<number> {
  let args: ReturnType<typeof argumentsFrom>;
  try {
    args = argumentsFrom(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`decode: ${error.message}\n\n${USAGE}\n`);
    return 2;
  }
  if (!args) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }

  let registry: DeviceRegistry | undefined;
  if (args.registry !== undefined) {
    try {
      registry = loadRegistry(args.registry).registry;
    } catch (error) {
      if (!(error instanceof RegistryError)) throw error;
      process.stderr.write(`decode: the registry ${args.registry} has problems:\n`);
      for (const problem of error.problems) process.stderr.write(`  ${problem}\n`);
      return 2;
    }
  }

  // Only a registry's device types have codecs; the sandbox runs them as in the pipeline.
  const codecs = registry ? await createCodecSandbox() : undefined;

  const fromTopic = args.topic === undefined ? undefined : deviceFromTopic(args.format, args.topic);
  const device = args.device ?? fromTopic?.device;
  const registeredTenants = registry && device !== undefined ? registry.tenantsOf(device) : [];
  const tenant =
    args.tenant ??
    fromTopic?.tenant ??
    (registeredTenants.length === 1 ? registeredTenants[0] : undefined) ??
    DEFAULT_TENANT;
  const receivedAt = new Date();
  const options: NormalizeOptions = {
    decoders,
    context: {
      ...defaultDecoderContext,
      timeZone: args.timeZone,
      useGatewayTime: args["gateway-time"],
      ...(codecs ? { runCodec: codecs.run } : {}),
    },
    ...(registry ? { registry: () => registry } : {}),
    observationVersion: args.observationVersion,
    // No timePolicy: a payload copied from documentation is old, and still worth decoding.
  };

  const payload = await readStdin();
  let result: ReturnType<typeof normalize>;
  try {
    result = normalize(
      {
        key: device,
        value: payload,
        source: "decode",
        format: args.format,
        tenant,
        mqttTopic: args.topic ?? "",
        receivedAt,
      },
      options,
    );
  } catch (error) {
    if (!(error instanceof NormalizeError)) throw error;
    process.stderr.write(`decode: refused at stage ${error.stage}: ${error.message}\n`);
    return 1;
  } finally {
    codecs?.dispose();
  }

  for (const field of result.unmapped) process.stderr.write(`unmapped: ${field}\n`);
  const warnings = new Set<string>();
  for (const observation of result.observations) {
    const reason = implausibleTime(new Date(observation.observedAt), receivedAt, defaultTimePolicy);
    if (reason) warnings.add(`WARNING: ${reason}; the pipeline would refuse it at stage policy\n`);
  }
  for (const warning of warnings) process.stderr.write(warning);
  for (const observation of result.observations) process.stdout.write(`${JSON.stringify(observation)}\n`);
  return 0;
}

// exitCode rather than exit(): stdout is flushed before the process ends, also into a pipe.
process.exitCode = await run(process.argv.slice(2));
