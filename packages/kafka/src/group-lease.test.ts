import { EventEmitter } from "node:events";
import { createLogger } from "@stadtfluss/telemetry";
import type { Consumer } from "kafkajs";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createGroupLease } from "./group-lease.ts";

const events = {
  GROUP_JOIN: "consumer.group_join",
  HEARTBEAT: "consumer.heartbeat",
  REBALANCING: "consumer.rebalancing",
  STOP: "consumer.stop",
  CRASH: "consumer.crash",
  DISCONNECT: "consumer.disconnect",
} as const;

/** The group's events as kafkajs emits them; no broker is involved in these rules. */
function groupMember() {
  const emitter = new EventEmitter();
  const consumer = { events, on: (event: string, listener: (e: unknown) => void) => emitter.on(event, listener) };
  return {
    consumer: consumer as unknown as Consumer,
    join: (partitions: number[]) =>
      emitter.emit(events.GROUP_JOIN, { payload: { memberId: "m", memberAssignment: { lease: partitions } } }),
    emit: (event: string) => emitter.emit(event, {}),
  };
}

describe("a lease by membership of a consumer group", () => {
  afterEach(() => vi.useRealTimers());

  function lease(member: ReturnType<typeof groupMember>, changes: boolean[] = []) {
    return createGroupLease({
      consumer: member.consumer,
      topic: "lease",
      sessionTimeoutMs: 10_000,
      handoverMs: 3_000,
      logger: createLogger("test", "silent"),
      onChange: (held) => changes.push(held),
    });
  }

  it("is held by the member assigned partition 0, only after the handover", () => {
    vi.useFakeTimers();
    const member = groupMember();
    const changes: boolean[] = [];
    const l = lease(member, changes);
    member.join([1, 2]);
    expect(l.isHeld()).toBe(false);
    member.join([0]);
    expect(l.isHeld()).toBe(false);
    vi.advanceTimersByTime(2_000);
    member.emit(events.HEARTBEAT);
    expect(l.isHeld()).toBe(false);
    vi.advanceTimersByTime(1_001);
    expect(l.isHeld()).toBe(true);
    expect(changes).toEqual([true]);
  });

  it("is let go at once when the group rebalances, and the handover starts again on the next assignment", () => {
    vi.useFakeTimers();
    const member = groupMember();
    const l = lease(member);
    member.join([0]);
    vi.advanceTimersByTime(3_001);
    expect(l.isHeld()).toBe(true);
    member.emit(events.REBALANCING);
    expect(l.isHeld()).toBe(false);
    member.join([0]);
    expect(l.isHeld()).toBe(false);
    vi.advanceTimersByTime(3_001);
    expect(l.isHeld()).toBe(true);
  });

  it("is let go before the group could evict a member that no longer hears from it", () => {
    vi.useFakeTimers();
    const member = groupMember();
    const l = lease(member);
    member.join([0]);
    vi.advanceTimersByTime(5_000);
    member.emit(events.HEARTBEAT);
    expect(l.isHeld()).toBe(true);
    // No answer to heartbeats for most of a session: another member may be assigned partition 0 soon.
    vi.advanceTimersByTime(8_000);
    expect(l.isHeld()).toBe(false);
    member.emit(events.HEARTBEAT);
    expect(l.isHeld()).toBe(true);
  });

  it("is let go when the consumer crashes or stops", () => {
    vi.useFakeTimers();
    for (const event of [events.CRASH, events.STOP, events.DISCONNECT]) {
      const member = groupMember();
      const l = lease(member);
      member.join([0]);
      vi.advanceTimersByTime(3_001);
      expect(l.isHeld()).toBe(true);
      member.emit(event);
      expect(l.isHeld()).toBe(false);
    }
  });
});
