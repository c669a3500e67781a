import { describe, expect, it } from "vitest";
import { FifoQueue } from "./fifo-queue.ts";

describe("FIFO queue", () => {
  it("gives items back in the order they came, across many pushes and shifts", () => {
    const queue = new FifoQueue<number>();
    const out: number[] = [];
    let next = 0;
    // Interleaved, with the queue growing well past the point where it drops its consumed front.
    for (let round = 0; round < 50; round++) {
      for (let i = 0; i < 700; i++) queue.push(next++);
      for (let i = 0; i < 500; i++) out.push(queue.shift() as number);
    }
    while (queue.length > 0) out.push(queue.shift() as number);
    expect(out).toEqual(Array.from({ length: next }, (_, i) => i));
  });

  it("peeks without taking, and is empty after clear", () => {
    const queue = new FifoQueue<string>();
    expect(queue.shift()).toBeUndefined();
    queue.push("a");
    queue.push("b");
    expect(queue.peek()).toBe("a");
    expect(queue.length).toBe(2);
    queue.clear();
    expect(queue.length).toBe(0);
    expect(queue.peek()).toBeUndefined();
  });
});
