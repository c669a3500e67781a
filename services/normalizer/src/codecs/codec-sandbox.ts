import { DecodeError, errorMessage, excerpt, UnavailableError } from "@stadtfluss/errors";
import {
  newQuickJSWASMModule,
  type QuickJSContext,
  type QuickJSHandle,
  type QuickJSRuntime,
  type QuickJSWASMModule,
} from "quickjs-emscripten";
import type { CodecInput } from "../raw-record.ts";

/**
 * Payload codecs (`function decodeUplink(input)`, the form of the TTN Device
 * Repository and of ChirpStack v4) are code from device vendors and users:
 * untrusted. Each runs in QuickJS compiled to WebAssembly, in a runtime of its
 * own with a time, memory and stack limit, and sees nothing of Node (no
 * `require`, `process`, network, files or timers): only the input it is given.
 */
export interface CodecSandboxOptions {
  /**
   * Wall-clock budget of one call (and of loading the codec's source), in
   * milliseconds. QuickJS stops a codec between its own instructions; one call
   * of a built-in function (a sort, `JSON.stringify`) runs to its end, bounded
   * by the memory limit, and a call that ended past the limit is refused.
   */
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
  /** Characters of the JSON text one call may return; a longer one is refused before the host parses it. */
  readonly maxResultChars?: number;
  /**
   * A fresh QuickJS WebAssembly module: one at the start, and another whenever a
   * failure on the host's side left the one in use unusable.
   */
  readonly loadModule?: () => Promise<Pick<QuickJSWASMModule, "newRuntime">>;
}

export interface CodecSandbox {
  /**
   * Calls the codec's `decodeUplink(input)` and returns its `data`; anything wrong
   * with the codec is a DecodeError. While the sandbox replaces its module it
   * throws a retriable UnavailableError: the caller tries the message again.
   */
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
  // An uplink of at most a few hundred bytes decodes to a few kilobytes of JSON.
  maxResultChars: 64 * 1024,
} as const satisfies Required<Omit<CodecSandboxOptions, "loadModule">>;

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
  const { loadModule = () => newQuickJSWASMModule(), ...given } = options;
  const limits = { ...CODEC_DEFAULTS, ...given };
  let quickJs: Pick<QuickJSWASMModule, "newRuntime"> | undefined = await loadModule();
  let loading: Promise<void> | undefined;
  let disposed = false;
  // Insertion order is recency order: a hit is moved to the end.
  const compiled = new Map<string, CompiledCodec>();

  /** Frees a codec's runtime now, not whenever the garbage collector would. */
  function release(codec: CompiledCodec): void {
    codec.call.dispose();
    codec.context.dispose();
    codec.runtime.dispose();
  }

  function evict(source: string, codec: CompiledCodec): void {
    compiled.delete(source);
    release(codec);
  }

  /**
   * An exception thrown on the host's side from inside QuickJS (the host's own
   * stack ran out in a deep call) unwinds the WebAssembly frames without their
   * epilogues: the module's stack pointer and heap stay as it found them, and
   * no runtime in it can be freed any more (QuickJS aborts on the objects still
   * alive). So the whole module goes, and its memory with it; a fresh one loads.
   */
  function replaceModule(): void {
    compiled.clear();
    quickJs = undefined;
    loading ??= loadModule().then(
      (module) => {
        loading = undefined;
        if (!disposed) quickJs = module;
      },
      () => {
        // Tried again at the next call.
        loading = undefined;
      },
    );
  }

  function isOverdue(codec: CompiledCodec): boolean {
    return performance.now() > codec.deadline;
  }

  function overdue(): DecodeError {
    return new DecodeError(`codec exceeded its ${limits.timeLimitMs} ms time limit`);
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
    if (isOverdue(codec) || (name === "InternalError" && message === "interrupted")) return overdue();
    if (message === "out of memory")
      return new DecodeError(`codec exceeded its ${formatBytes(limits.memoryLimitBytes)} memory limit`);
    return new DecodeError(`codec error: ${excerpt(name ? `${name}: ${message}` : message)}`);
  }

  function compile(module: Pick<QuickJSWASMModule, "newRuntime">, source: string): CompiledCodec {
    const runtime = module.newRuntime();
    runtime.setMemoryLimit(limits.memoryLimitBytes);
    runtime.setMaxStackSize(limits.maxStackBytes);
    const context = runtime.newContext();
    const prelude = context.evalCode(PRELUDE, "prelude.js");
    if (prelude.error) {
      prelude.error.dispose();
      context.dispose();
      runtime.dispose();
      throw new DecodeError(`codec error: the sandbox cannot start within ${formatBytes(limits.memoryLimitBytes)}`);
    }
    const codec: CompiledCodec = {
      runtime,
      context,
      call: prelude.value,
      deadline: performance.now() + limits.timeLimitMs,
    };
    // Reads the deadline each call sets on this very object.
    runtime.setInterruptHandler(() => isOverdue(codec));
    const loaded = context.evalCode(`${source}\n;typeof decodeUplink`, "codec.js");
    if (loaded.error) {
      const error = failure(codec, loaded.error);
      release(codec);
      throw error;
    }
    const entry = context.getString(loaded.value);
    loaded.value.dispose();
    if (isOverdue(codec)) {
      release(codec);
      throw overdue();
    }
    if (entry !== "function") {
      release(codec);
      throw new DecodeError("codec error: the codec defines no function decodeUplink(input)");
    }
    return codec;
  }

  function call(module: Pick<QuickJSWASMModule, "newRuntime">, source: string, input: CodecInput): unknown {
    let codec = compiled.get(source);
    if (codec) {
      compiled.delete(source);
      compiled.set(source, codec);
    } else {
      codec = compile(module, source);
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
    const result = context.callFunction(codec.call, context.undefined, json, recvTime);
    json.dispose();
    recvTime.dispose();
    if (result.error) {
      const error = failure(codec, result.error);
      // After an interrupt or out of memory the codec's globals may be half-built: start afresh next time.
      evict(source, codec);
      throw error;
    }
    // The interrupt handler never runs inside a built-in function: a sort or a
    // JSON.stringify may have run past the deadline and still returned.
    if (isOverdue(codec)) {
      result.value.dispose();
      evict(source, codec);
      throw overdue();
    }
    const text = resultText(context, result.value);
    result.value.dispose();
    if (text === undefined) throw new DecodeError("codec error: decodeUplink returned nothing");
    return dataOf(JSON.parse(text) as unknown);
  }

  /** The JSON text a call returned, checked for size before it is copied to the host. */
  function resultText(context: QuickJSContext, value: QuickJSHandle): string | undefined {
    if (context.typeof(value) !== "string") return undefined;
    const length = context.getProp(value, "length");
    const chars = context.getNumber(length);
    length.dispose();
    if (chars > limits.maxResultChars)
      throw new DecodeError(`codec result of ${chars} characters exceeds the limit of ${limits.maxResultChars}`);
    return context.getString(value);
  }

  function run(source: string, input: CodecInput): unknown {
    const module = quickJs;
    if (!module) {
      if (!loading && !disposed) replaceModule();
      throw new UnavailableError("the codec sandbox is loading a fresh WebAssembly module");
    }
    try {
      return call(module, source, input);
    } catch (error) {
      if (error instanceof DecodeError) throw error;
      // Thrown by the host, not by the codec or this sandbox's checks.
      replaceModule();
      throw new DecodeError(`codec error: ${excerpt(errorMessage(error))}`);
    }
  }

  return {
    run,
    size: () => compiled.size,
    dispose() {
      disposed = true;
      for (const codec of compiled.values()) release(codec);
      compiled.clear();
      quickJs = undefined;
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
