import { createServer } from "node:net";
import { describe, expect, it } from "vitest";
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
});
