import { createServer } from "node:net";
import { describe, expect, it, vi } from "vitest";
import { ephemeralRange, freePort } from "./free-port.ts";

describe("freePort", () => {
  it("gives a port below the kernel's ephemeral range, which outgoing connections never take, and that can be bound", async () => {
    const [low] = ephemeralRange();
    const ports = await Promise.all(Array.from({ length: 20 }, () => freePort()));
    for (const port of ports) {
      expect(port).toBeGreaterThanOrEqual(10_000);
      expect(port).toBeLessThan(low);
    }
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(ports[0], "127.0.0.1", resolve);
    });
    await new Promise((resolve) => server.close(resolve));
  });

  it("never hands out a port that fetch refuses to connect to", async () => {
    const [low] = ephemeralRange();
    // The first draw falls on 10080, which the Fetch standard lists as a bad port.
    const random = vi.spyOn(Math, "random").mockReturnValueOnce(80.5 / (low - 10_000));
    try {
      const port = await freePort();
      expect(port).not.toBe(10_080);
      expect(random).toHaveBeenCalledTimes(2);
    } finally {
      random.mockRestore();
    }
    await expect(fetch("http://127.0.0.1:10080/")).rejects.toMatchObject({ cause: { message: "bad port" } });
  });
});
