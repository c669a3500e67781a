import { describe, expect, it } from "vitest";
import { createHttpServer } from "./server.ts";

// Its own file: Fastify warns of a deprecated option once per process, so another test's
// server created first would hide it.
describe("createHttpServer", () => {
  it("starts without a deprecation warning from Fastify", async () => {
    const warnings: Error[] = [];
    const collect = (warning: Error) => warnings.push(warning);
    process.on("warning", collect);
    try {
      const app = await createHttpServer({ title: "test", version: "0.0.0" });
      await app.ready();
      await app.close();
      // process.emitWarning reports on the next tick.
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off("warning", collect);
    }
    expect(warnings.map((w) => `${w.name} ${(w as { code?: string }).code ?? ""}: ${w.message}`)).toEqual([]);
  });
});
