/** Slots a queue starts with once something is pushed. */
const INITIAL_CAPACITY = 8;
/** An empty queue whose ring grew beyond this many slots gives it back (a backlog that drained). */
const RETAINED_CAPACITY = 1024;

/**
 * First in, first out, O(1) at both ends: a ring buffer that doubles when full. Array.shift moves
 * every element, which made draining a long session queue quadratic (about 1,300 messages a
 * second from a backlog of a few hundred thousand). Nothing is allocated until the first push, so
 * the many queues that stay empty cost one small object each.
 */
export class FifoQueue<T> implements Iterable<T> {
  private ring: Array<T | undefined> | undefined;
  private head = 0;
  private count = 0;

  get length(): number {
    return this.count;
  }

  push(item: T): void {
    let ring = this.ring;
    if (ring === undefined) ring = this.ring = new Array<T | undefined>(INITIAL_CAPACITY);
    else if (this.count === ring.length) ring = this.grow(ring);
    ring[(this.head + this.count) & (ring.length - 1)] = item;
    this.count++;
  }

  /** The oldest item, removed; undefined when empty. */
  shift(): T | undefined {
    if (this.count === 0) return undefined;
    const ring = this.ring!;
    const item = ring[this.head];
    ring[this.head] = undefined;
    this.head = (this.head + 1) & (ring.length - 1);
    if (--this.count === 0) {
      this.head = 0;
      if (ring.length > RETAINED_CAPACITY) this.ring = undefined;
    }
    return item;
  }

  /** The oldest item, left in place. */
  peek(): T | undefined {
    return this.count === 0 ? undefined : this.ring![this.head];
  }

  clear(): void {
    this.ring = undefined;
    this.head = 0;
    this.count = 0;
  }

  *[Symbol.iterator](): Iterator<T> {
    const ring = this.ring;
    for (let i = 0; i < this.count; i++) yield ring![(this.head + i) & (ring!.length - 1)] as T;
  }

  /** Capacity doubles (always a power of two, so indices wrap with a mask), oldest first. */
  private grow(ring: Array<T | undefined>): Array<T | undefined> {
    const next = new Array<T | undefined>(ring.length * 2);
    for (let i = 0; i < this.count; i++) next[i] = ring[(this.head + i) & (ring.length - 1)];
    this.head = 0;
    this.ring = next;
    return next;
  }
}
