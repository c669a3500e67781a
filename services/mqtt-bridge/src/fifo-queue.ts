/**
 * A first-in, first-out queue whose `shift` takes constant time. V8's
 * `Array.prototype.shift` moves every remaining element once an array is large
 * (tens of thousands of entries), so draining a held backlog through it costs
 * time quadratic in the backlog: with 65,535 messages in flight that blocked the
 * event loop for seconds.
 */
export class FifoQueue<T> {
  #items: (T | undefined)[] = [];
  #head = 0;

  get length(): number {
    return this.#items.length - this.#head;
  }

  push(item: T): void {
    this.#items.push(item);
  }

  /** The oldest item, left in the queue. */
  peek(): T | undefined {
    return this.#items[this.#head];
  }

  shift(): T | undefined {
    if (this.#head >= this.#items.length) return undefined;
    const item = this.#items[this.#head];
    this.#items[this.#head] = undefined;
    this.#head++;
    // Drop the consumed front once it is most of the array: amortised constant time.
    if (this.#head === this.#items.length) this.clear();
    else if (this.#head >= 1_024 && this.#head * 2 >= this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return item;
  }

  clear(): void {
    this.#items = [];
    this.#head = 0;
  }
}
