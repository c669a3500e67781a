import mqtt from "mqtt";
import { describe, expect, inject, it } from "vitest";
import { publishNumbered } from "./load-generator.ts";
import { uniqueName } from "./unique-name.ts";

const servers = inject("servers");

describe("the load generator's progress", () => {
  it("resolves reached(n) once the broker acknowledged n messages, and rejects a count the load never reaches", async () => {
    const prefix = uniqueName("load");
    // A subscriber counts what the broker took, independently of the generator's own count.
    const subscriber = await mqtt.connectAsync(servers.mqttUrl, { clientId: `${prefix}-subscriber` });
    let delivered = 0;
    subscriber.on("message", () => delivered++);
    await subscriber.subscribeAsync(`${prefix}/#`, { qos: 1 });
    try {
      const load = publishNumbered({
        url: servers.mqttUrl,
        topicPrefix: prefix,
        tenant: "musterstadt",
        devices: 4,
        count: 400,
        rate: 400,
      });
      let finished = false;
      void load.then(() => (finished = true));
      const beyond = load.reached(401);

      await load.reached(100);
      // Mid-stream: the load goes on after the point a test waited for.
      expect(finished).toBe(false);
      expect((await load).acknowledged).toBe(400);
      await expect(beyond).rejects.toThrow(/ended after 400 acknowledged/);
      // Reached once is reached for good.
      await expect(load.reached(400)).resolves.toBeUndefined();
      await expect.poll(() => delivered, { timeout: 10_000 }).toBe(400);
    } finally {
      await subscriber.endAsync();
    }
  });
});
