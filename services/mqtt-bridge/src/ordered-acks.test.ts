import type { MqttClient, Packet } from "mqtt";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { OrderedAcks } from "./ordered-acks.ts";

/** The one method OrderedAcks wraps, recording what reaches the socket. */
function fakeClient() {
  const written: number[] = [];
  const client = {
    _sendPacket(packet: Packet, callback?: () => void) {
      if (packet.cmd === "puback" && packet.messageId !== undefined) written.push(packet.messageId);
      callback?.();
    },
  };
  const puback = (messageId: number) =>
    (client as unknown as { _sendPacket: (p: Packet, cb?: () => void) => void })._sendPacket({
      cmd: "puback",
      messageId,
    });
  return { client: client as unknown as MqttClient, written, puback };
}

describe("ordered acknowledgements", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("holds each PUBACK until its message is stored, and releases them in arrival order", () => {
    const { client, written, puback } = fakeClient();
    const acks = new OrderedAcks(client);
    const stored = [1, 2, 3].map((id) => acks.expect(id));
    for (const id of [1, 2, 3]) puback(id);
    stored[2]?.();
    stored[1]?.();
    expect(written).toEqual([]);
    stored[0]?.();
    expect(written).toEqual([1, 2, 3]);
    expect(acks.pending).toBe(0);
  });

  it("releases a long run held behind one message in pieces, letting the event loop turn between them", async () => {
    const { client, written, puback } = fakeClient();
    const acks = new OrderedAcks(client);
    const count = 60_000;
    const stored = Array.from({ length: count }, (_, i) => acks.expect(i + 1));
    for (let i = 1; i <= count; i++) puback(i);
    for (const done of stored.slice(1)) done();
    expect(written).toEqual([]);

    stored[0]?.();
    expect(written.length).toBeGreaterThan(0);
    expect(written.length).toBeLessThan(count);
    await vi.runAllTimersAsync();
    expect(written).toEqual(Array.from({ length: count }, (_, i) => i + 1));
    expect(acks.pending).toBe(0);
  });

  it("drops what was held for a lost connection, also a release still under way", async () => {
    const { client, written, puback } = fakeClient();
    const acks = new OrderedAcks(client);
    const stored = Array.from({ length: 20_000 }, (_, i) => acks.expect(i + 1));
    for (let i = 1; i <= 20_000; i++) puback(i);
    for (const done of stored.slice(1)) done();
    stored[0]?.();
    const before = written.length;
    expect(before).toBeLessThan(20_000);
    acks.reset();
    await vi.runAllTimersAsync();
    expect(written.length).toBe(before);
    expect(acks.pending).toBe(0);
  });
});
