import { describe, expect, it, vi } from "vitest";
import { startTogether } from "./start-together.ts";

describe("startTogether", () => {
  it("hands over every server when all started", async () => {
    const [a, b] = await startTogether([Promise.resolve("a"), Promise.resolve(2)] as const);
    expect([a, b]).toEqual(["a", 2]);
  });

  it("stops the servers that started when one did not, and throws its error", async () => {
    const stop = vi.fn(async () => undefined);
    const started = { stop };
    const failure = new Error("influxd did not answer /ping");
    await expect(
      startTogether([Promise.resolve(started), Promise.reject(failure), Promise.resolve(undefined)]),
    ).rejects.toBe(failure);
    expect(stop).toHaveBeenCalledOnce();
  });
});
