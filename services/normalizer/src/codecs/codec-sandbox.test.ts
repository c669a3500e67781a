import { DecodeError, isRetriable } from "@stadtfluss/errors";
import { newQuickJSWASMModule, type QuickJSRuntime } from "quickjs-emscripten";
import { afterAll, describe, expect, it } from "vitest";
import { CODEC_DEFAULTS, createCodecSandbox } from "./codec-sandbox.ts";

const sandbox = await createCodecSandbox();
afterAll(() => sandbox.dispose());

const input = { bytes: [0x01, 0x75, 0x5c], fPort: 85 };

/** Fresh QuickJS modules whose runtimes are counted, module by module. */
function countedModules() {
  const runtimes: QuickJSRuntime[][] = [];
  return {
    async loadModule() {
      const module = await newQuickJSWASMModule();
      const created: QuickJSRuntime[] = [];
      runtimes.push(created);
      return {
        newRuntime: (...args: Parameters<typeof module.newRuntime>) => {
          const runtime = module.newRuntime(...args);
          created.push(runtime);
          return runtime;
        },
      };
    },
    modules: () => runtimes.length,
    alive: (module: number) => runtimes[module]?.filter((runtime) => runtime.alive).length,
  };
}

function reasonOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(DecodeError);
    return (error as DecodeError).message;
  }
  throw new Error("the codec was expected to fail");
}

describe("codec sandbox", () => {
  it("returns the data of decodeUplink, given the bytes, the port and the receive time", () => {
    const source = `function decodeUplink(input) {
      return { data: { first: input.bytes[0], count: input.bytes.length, port: input.fPort, at: input.recvTime.toISOString() } };
    }`;
    const data = sandbox.run(source, { ...input, recvTime: new Date("2026-11-25T07:30:00.000Z") });
    expect(data).toEqual({ first: 1, count: 3, port: 85, at: "2026-11-25T07:30:00.000Z" });
  });

  it("stops a codec that loops forever at its time limit", () => {
    const started = performance.now();
    const reason = reasonOf(() => sandbox.run("function decodeUplink() { for (;;) {} }", input));
    expect(reason).toBe("codec exceeded its 50 ms time limit");
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it("gives every call its own time budget, however long ago the codec was loaded", async () => {
    const source = `function decodeUplink(input) {
      var sum = 0;
      for (var i = 0; i < 20000; i++) sum += input.bytes[i % input.bytes.length];
      return { data: { sum: sum } };
    }`;
    expect(sandbox.run(source, input)).toEqual({ sum: 1_399_978 });
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(sandbox.run(source, input)).toEqual({ sum: 1_399_978 });
  });

  it("stops a codec whose top-level code never finishes", () => {
    expect(reasonOf(() => sandbox.run("while (true) {}\nfunction decodeUplink() {}", input))).toBe(
      "codec exceeded its 50 ms time limit",
    );
  });

  it("stops a codec that allocates beyond its memory limit", async () => {
    const small = await createCodecSandbox({ memoryLimitBytes: 4 * 1024 * 1024, timeLimitMs: 30_000 });
    try {
      const source = "function decodeUplink() { var hoard = []; for (;;) hoard.push({ n: hoard.length }); }";
      expect(reasonOf(() => small.run(source, input))).toBe("codec exceeded its 4 MiB memory limit");
    } finally {
      small.dispose();
    }
  });

  it("turns unbounded recursion into a codec error instead of overflowing the host's stack", () => {
    const source = "function deeper(n) { return deeper(n + 1) + 1; }\nfunction decodeUplink() { return deeper(0); }";
    expect(reasonOf(() => sandbox.run(source, input))).toBe("codec error: InternalError: stack overflow");
  });

  it("sees nothing of Node: no require, process, Buffer, timers or network", () => {
    const source = `function decodeUplink() {
      return { data: { require: typeof require, process: typeof process, Buffer: typeof Buffer,
        setTimeout: typeof setTimeout, fetch: typeof fetch, module: typeof module, globalKeys: Object.keys(globalThis).join(",") } };
    }`;
    expect(sandbox.run(source, input)).toEqual({
      require: "undefined",
      process: "undefined",
      Buffer: "undefined",
      setTimeout: "undefined",
      fetch: "undefined",
      module: "undefined",
      globalKeys: "console,decodeUplink",
    });
  });

  it("keeps a codec's globals inside the sandbox", () => {
    const source =
      "globalThis.leaked = 42; function decodeUplink() { return { data: { leaked: globalThis.leaked } }; }";
    expect(sandbox.run(source, input)).toEqual({ leaked: 42 });
    expect((globalThis as Record<string, unknown>).leaked).toBeUndefined();
  });

  it("compiles each codec once and reuses it for every call", () => {
    const source = "var calls = 0; function decodeUplink() { calls += 1; return { data: { calls: calls } }; }";
    const before = sandbox.size();
    expect(sandbox.run(source, input)).toEqual({ calls: 1 });
    expect(sandbox.run(source, input)).toEqual({ calls: 2 });
    expect(sandbox.size()).toBe(before + 1);
  });

  it("drops the least recently used codec when the cache is full", async () => {
    const bounded = await createCodecSandbox({ maxCodecs: 2 });
    try {
      const codec = (n: number) =>
        `var calls = 0; function decodeUplink() { calls += 1; return { data: { n: ${n}, calls: calls } }; }`;
      bounded.run(codec(1), input);
      bounded.run(codec(2), input);
      bounded.run(codec(1), input);
      bounded.run(codec(3), input);
      expect(bounded.size()).toBe(2);
      expect(bounded.run(codec(1), input)).toEqual({ n: 1, calls: 3 });
      expect(bounded.run(codec(2), input)).toEqual({ n: 2, calls: 1 });
    } finally {
      bounded.dispose();
    }
  });

  it("loads a codec afresh after it ran out of time", () => {
    const source = `var calls = 0;
      function decodeUplink(input) { calls += 1; if (input.fPort === 99) for (;;) {} return { data: { calls: calls } }; }`;
    expect(sandbox.run(source, input)).toEqual({ calls: 1 });
    expect(reasonOf(() => sandbox.run(source, { ...input, fPort: 99 }))).toBe("codec exceeded its 50 ms time limit");
    expect(sandbox.run(source, input)).toEqual({ calls: 1 });
  });

  it("reports the errors a codec returns", () => {
    const source = 'function decodeUplink() { return { data: {}, errors: ["unknown frame type 7", "bad length"] }; }';
    expect(reasonOf(() => sandbox.run(source, input))).toBe("codec error: unknown frame type 7; bad length");
  });

  it("reports what a codec throws", () => {
    expect(reasonOf(() => sandbox.run("function decodeUplink(input) { return input.nothing.here; }", input))).toBe(
      "codec error: TypeError: cannot read property 'here' of undefined",
    );
    expect(reasonOf(() => sandbox.run("function decodeUplink() { throw 'checksum mismatch'; }", input))).toBe(
      "codec error: checksum mismatch",
    );
  });

  it.each([
    ["a thrown string", "throw 'x'.repeat(5000000);"],
    ["a thrown error", "throw new RangeError('x'.repeat(5000000));"],
    ["returned errors", "return { data: {}, errors: ['x'.repeat(5000000)] };"],
  ])("quotes only the start of a long codec error: %s", async (_, body) => {
    // Time enough to build 5 MB on a slow machine: the reason is what is tested.
    const patient = await createCodecSandbox({ timeLimitMs: 30_000 });
    try {
      const reason = reasonOf(() => patient.run(`function decodeUplink() { ${body} }`, input));
      expect(reason).toMatch(/^codec (error|result)/);
      expect(reason.length).toBeLessThan(1_000);
    } finally {
      patient.dispose();
    }
  });

  it("refuses the result of a call that ran past its time limit inside one built-in function", async () => {
    // QuickJS checks its interrupt handler between its own instructions, never
    // inside a built-in: 12 MB of repeat() is one uninterrupted call, and the
    // codec would return its result on time as far as the handler knows.
    const strict = await createCodecSandbox({ timeLimitMs: 1 });
    try {
      const source = "function decodeUplink() { return { data: { n: 'x'.repeat(12000000).length } }; }";
      expect(reasonOf(() => strict.run(source, input))).toBe("codec exceeded its 1 ms time limit");
    } finally {
      strict.dispose();
    }
  });

  it("refuses a result too large before the host parses it", async () => {
    const patient = await createCodecSandbox({ timeLimitMs: 30_000 });
    try {
      const source = `function decodeUplink() {
        var data = {}; var text = 'x'.repeat(1000);
        for (var i = 0; i < 6000; i++) data['k' + i] = text;
        return { data: data };
      }`;
      expect(reasonOf(() => patient.run(source, input))).toMatch(
        new RegExp(`^codec result of \\d+ characters exceeds the limit of ${CODEC_DEFAULTS.maxResultChars}$`),
      );
    } finally {
      patient.dispose();
    }
  });

  it("frees the runtime of every codec it drops, whatever way the codec failed", async () => {
    const counted = countedModules();
    const tracked = await createCodecSandbox({ maxCodecs: 2, loadModule: counted.loadModule });
    const codecs = [
      "function decodeUplink() { return { data: { ok: 1 } }; }",
      "function decodeUplink() { for (;;) {} }",
      "while (true) {}\nfunction decodeUplink() {}",
      "function decodeUplink() { throw new Error('bad frame'); }",
      "function decodeUplink() { return { data: { n: 'x'.repeat(200000) } }; }",
      "function Decoder() {}",
      "function decodeUplink( {",
      "function deeper(n) { return deeper(n + 1) + 1; }\nfunction decodeUplink() { return deeper(0); }",
      "function decodeUplink() { return { data: { ok: 2 } }; }",
      "function decodeUplink() { return { data: { ok: 3 } }; }",
    ];
    for (const source of codecs) {
      try {
        tracked.run(source, input);
      } catch (error) {
        expect(error).toBeInstanceOf(DecodeError);
      }
      expect(counted.alive(0), source).toBe(tracked.size());
    }
    tracked.dispose();
    expect(counted.modules()).toBe(1);
    expect(counted.alive(0)).toBe(0);
  });

  it("replaces its WebAssembly module after a failure on the host's side, and runs codecs again", async () => {
    const counted = countedModules();
    // A time limit no loaded machine reaches: what ends the recursion must be the stack.
    const fragile = await createCodecSandbox({ loadModule: counted.loadModule, timeLimitMs: 60_000 });
    try {
      // Deep in the host's own stack, QuickJS's recursion exhausts the host's
      // stack before QuickJS's own limit: V8 throws through the WebAssembly
      // frames, which leaves the module's stack and heap as the exception found them.
      const recursion =
        "function deeper(n) { return deeper(n + 1) + 1; }\nfunction decodeUplink() { return deeper(0); }";
      let hostFailure: string | undefined;
      const dive = (depth: number): void => {
        if (depth % 25 === 0) {
          try {
            fragile.run(recursion, input);
          } catch (error) {
            const reason = (error as Error).message;
            if (reason !== "codec error: InternalError: stack overflow") hostFailure = reason;
          }
        }
        if (hostFailure === undefined) dive(depth + 1);
      };
      try {
        dive(0);
      } catch {
        // The test's own recursion ran out first on this depth: nothing learnt.
      }
      expect(hostFailure).toBe("codec error: Maximum call stack size exceeded");

      const ok = "function decodeUplink() { return { data: { ok: 1 } }; }";
      const deadline = Date.now() + 10_000;
      let data: unknown;
      while (data === undefined && Date.now() < deadline) {
        try {
          data = fragile.run(ok, input);
        } catch (error) {
          expect(isRetriable(error)).toBe(true);
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
      }
      expect(data).toEqual({ ok: 1 });
      expect(counted.modules()).toBe(2);
      expect(counted.alive(1)).toBe(fragile.size());
    } finally {
      fragile.dispose();
    }
  });

  it("refuses a codec that returns no data object or defines no decodeUplink", () => {
    expect(reasonOf(() => sandbox.run("function decodeUplink() { return { warnings: [] }; }", input))).toBe(
      "codec error: decodeUplink returned no data object",
    );
    expect(reasonOf(() => sandbox.run("function decodeUplink() {}", input))).toBe(
      "codec error: decodeUplink returned nothing",
    );
    expect(reasonOf(() => sandbox.run("function Decoder(bytes, port) { return {}; }", input))).toBe(
      "codec error: the codec defines no function decodeUplink(input)",
    );
  });
});
