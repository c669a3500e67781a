import { DecodeError, excerpt } from "@stadtfluss/errors";
import { getQuickJS, type QuickJSContext, type QuickJSHandle, type QuickJSRuntime } from "quickjs-emscripten";
import type { CodecInput } from "../raw-record.ts";

/**
 * Payload codecs (`function decodeUplink(input)`, the form of the TTN Device
 * Repository and of ChirpStack v4) are code from device vendors and users:
 * untrusted. Each runs in QuickJS compiled to WebAssembly, in a runtime of its
 * own with a time, memory and stack limit, and sees nothing of Node (no
 * `require`, `process`, network, files or timers): only the input it is given.
 */
export interface CodecSandboxOptions {
  /** Wall-clock budget of one call (and of loading the codec's source), in milliseconds. */
  readonly timeLimitMs?: number;
  /** Heap of one codec's runtime, in bytes. */
  readonly memoryLimitBytes?: number;
  /**
   * Stack of one codec's runtime, in bytes. Kept well below what the host's own
   * stack holds: QuickJS must throw its "stack overflow" before V8 runs out.
   */
  readonly maxStackBytes?: number;
  /** Compiled codecs kept; beyond that the least recently used one is dropped. */
  readonly maxCodecs?: number;
}

export interface CodecSandbox {
  /** Calls the codec's `decodeUplink(input)` and returns its `data`; anything wrong is a DecodeError. */
  readonly run: (source: string, input: CodecInput) => unknown;
  /** How many compiled codecs are cached. */
  readonly size: () => number;
  readonly dispose: () => void;
}

export const CODEC_DEFAULTS = {
  timeLimitMs: 50,
  memoryLimitBytes: 16 * 1024 * 1024,
  maxStackBytes: 256 * 1024,
  maxCodecs: 256,
} as const satisfies Required<CodecSandboxOptions>;

/** One codec, loaded once into its own runtime and called as often as its devices send. */
interface CompiledCodec {
  readonly runtime: QuickJSRuntime;
  readonly context: QuickJSContext;
  /** `call(inputJson, recvTimeMs)` → JSON text of what `decodeUplink` returned. */
  readonly call: QuickJSHandle;
  /** performance.now() after which the interrupt handler stops the codec. */
  deadline: number;
}

/**
 * Evaluated before the codec's source, so that the codec cannot swap the JSON
 * functions the result travels through. `console` is a no-op because vendor
 * codecs often log while debugging and would otherwise fail on it.
 */
const PRELUDE = `
globalThis.console = { log() {}, info() {}, warn() {}, error() {}, debug() {} };
(function (parse, stringify) {
  return function (json, recvTime) {
    var input = parse(json);
    if (recvTime !== undefined) input.recvTime = new Date(recvTime);
    return stringify(decodeUplink(input));
  };
})(JSON.parse, JSON.stringify)
`;

export async function createCodecSandbox(options: CodecSandboxOptions = {}): Promise<CodecSandbox> {
  const limits = { ...CODEC_DEFAULTS, ...options };
  const quickJs = await getQuickJS();
  // Insertion order is recency order: a hit is moved to the end.
  const compiled = new Map<string, CompiledCodec>();

  function release(codec: CompiledCodec): void {
    try {
      codec.call.dispose();
      codec.context.dispose();
      codec.runtime.dispose();
    } catch {
      // A runtime that failed inside QuickJS may refuse to be freed; dropping it is all that is left.
    }
  }

  function evict(source: string, codec: CompiledCodec): void {
    compiled.delete(source);
    release(codec);
  }

  /** Turns what the codec threw into the reason a dead letter carries. */
  function failure(codec: CompiledCodec, error: QuickJSHandle): DecodeError {
    let thrown: unknown;
    try {
      thrown = codec.context.dump(error);
    } catch {
      thrown = undefined;
    } finally {
      error.dispose();
    }
    const name = typeof thrown === "object" && thrown !== null ? String((thrown as { name?: unknown }).name) : "";
    const message =
      typeof thrown === "object" && thrown !== null
        ? String((thrown as { message?: unknown }).message)
        : String(thrown);
    if (performance.now() > codec.deadline || (name === "InternalError" && message === "interrupted"))
      return new DecodeError(`codec exceeded its ${limits.timeLimitMs} ms time limit`);
    if (message === "out of memory")
      return new DecodeError(`codec exceeded its ${formatBytes(limits.memoryLimitBytes)} memory limit`);
    return new DecodeError(`codec error: ${excerpt(name ? `${name}: ${message}` : message)}`);
  }

  function compile(source: string): CompiledCodec {
    const runtime = quickJs.newRuntime();
    runtime.setMemoryLimit(limits.memoryLimitBytes);
    runtime.setMaxStackSize(limits.maxStackBytes);
    const context = runtime.newContext();
    const deadline = performance.now() + limits.timeLimitMs;
    const codec: CompiledCodec = {
      runtime,
      context,
      call: context.unwrapResult(context.evalCode(PRELUDE, "prelude.js")),
      deadline,
    };
    // Reads the deadline each call sets on this very object.
    runtime.setInterruptHandler(() => performance.now() > codec.deadline);
    const loaded = context.evalCode(`${source}\n;typeof decodeUplink`, "codec.js");
    if (loaded.error) {
      const error = failure(codec, loaded.error);
      release(codec);
      throw error;
    }
    const entry = context.getString(loaded.value);
    loaded.value.dispose();
    if (entry !== "function") {
      release(codec);
      throw new DecodeError("codec error: the codec defines no function decodeUplink(input)");
    }
    return codec;
  }

  function run(source: string, input: CodecInput): unknown {
    let codec = compiled.get(source);
    if (codec) {
      compiled.delete(source);
      compiled.set(source, codec);
    } else {
      codec = compile(source);
      compiled.set(source, codec);
      if (compiled.size > limits.maxCodecs) {
        const [oldestSource, oldest] = compiled.entries().next().value as [string, CompiledCodec];
        evict(oldestSource, oldest);
      }
    }

    const { context } = codec;
    const json = context.newString(JSON.stringify({ bytes: input.bytes, fPort: input.fPort }));
    const recvTime = input.recvTime ? context.newNumber(input.recvTime.getTime()) : context.undefined;
    codec.deadline = performance.now() + limits.timeLimitMs;
    let result: ReturnType<QuickJSContext["callFunction"]>;
    try {
      result = context.callFunction(codec.call, context.undefined, json, recvTime);
    } catch (error) {
      // Thrown by the host, not by the codec: the runtime cannot be trusted any more.
      compiled.delete(source);
      throw new DecodeError(`codec error: ${excerpt((error as Error).message)}`);
    } finally {
      json.dispose();
      recvTime.dispose();
    }
    if (result.error) {
      const error = failure(codec, result.error);
      // After an interrupt or out of memory the codec's globals may be half-built: start afresh next time.
      evict(source, codec);
      throw error;
    }
    const text = context.typeof(result.value) === "string" ? context.getString(result.value) : undefined;
    result.value.dispose();
    if (text === undefined) throw new DecodeError("codec error: decodeUplink returned nothing");
    return dataOf(JSON.parse(text) as unknown);
  }

  return {
    run,
    size: () => compiled.size,
    dispose() {
      for (const codec of compiled.values()) release(codec);
      compiled.clear();
    },
  };
}

/** `{ data, warnings?, errors? }`: errors mean the codec refused the payload (TTN and ChirpStack agree). */
function dataOf(output: unknown): unknown {
  if (typeof output !== "object" || output === null || Array.isArray(output))
    throw new DecodeError("codec error: decodeUplink must return an object { data, warnings?, errors? }");
  const { data, errors } = output as { data?: unknown; errors?: unknown };
  if (Array.isArray(errors) && errors.length > 0)
    throw new DecodeError(`codec error: ${excerpt(errors.map(String).join("; "))}`);
  if (typeof data !== "object" || data === null || Array.isArray(data))
    throw new DecodeError("codec error: decodeUplink returned no data object");
  return data;
}

function formatBytes(bytes: number): string {
  return bytes % (1024 * 1024) === 0 ? `${bytes / (1024 * 1024)} MiB` : `${bytes} bytes`;
}
