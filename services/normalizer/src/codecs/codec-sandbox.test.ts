import { DecodeError } from "@stadtfluss/errors";
import { afterAll, describe, expect, it } from "vitest";
import { createCodecSandbox } from "./codec-sandbox.ts";

const sandbox = await createCodecSandbox();
afterAll(() => sandbox.dispose());

const input = { bytes: [0x01, 0x75, 0x5c], fPort: 85 };

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
