/** A publisher blocked this long by a subscriber that stopped advancing goes on anyway (lost tail, dead peer). */
const STALL_MS = 500;
const NEVER_BLOCKS = 0x7fffffff;

/**
 * End-to-end flow control for pubsub runs: a publisher may run at most `ahead` messages past the
 * highest sequence number its slowest subscriber has seen. Without it, QoS 0 latency at
 * saturation measures seconds of kernel socket buffers rather than the broker.
 *
 * Subscribers and publishers may live in different worker threads, so progress is kept in a
 * SharedArrayBuffer: one Int32 per (subscriber, publisher), written only by that subscriber's
 * thread. Plain reads and writes suffice: a stale value only delays a publisher a little.
 * Waiters are woken by subscribers of the same thread after each chunk, and by a 1 ms poll for
 * progress made in other threads.
 */
export class AheadGate {
  stalls = 0;
  private readonly view: Int32Array;
  private readonly waiters = new Set<() => void>();
  private readonly blockedSince = new Map<number, number>();
  private readonly forced = new Map<number, number>();
  private poll: NodeJS.Timeout | undefined;

  constructor(
    shared: SharedArrayBuffer,
    private readonly publishers: number,
    private readonly subscribers: number,
    private readonly ahead: number,
  ) {
    this.view = new Int32Array(shared);
  }

  static allocate(publishers: number, subscribers: number): SharedArrayBuffer {
    return new SharedArrayBuffer(4 * Math.max(1, publishers * subscribers));
  }

  /** Subscriber side: `next` is the highest sequence number seen from `publisher` + 1. */
  advance(subscriber: number, publisher: number, next: number): void {
    this.view[subscriber * this.publishers + publisher] = next;
  }

  /** A subscriber that failed or left must not hold anyone back. */
  retire(subscriber: number): void {
    this.view.fill(NEVER_BLOCKS, subscriber * this.publishers, (subscriber + 1) * this.publishers);
  }

  /** How many more messages `publisher` may send now; when 0, `wake` is called on progress. */
  allowance(publisher: number, sent: number, wake: () => void): number {
    let min = NEVER_BLOCKS;
    for (let s = 0, i = publisher; s < this.subscribers; s++, i += this.publishers) {
      const v = this.view[i]!;
      if (v < min) min = v;
    }
    const base = Math.max(min, this.forced.get(publisher) ?? 0);
    const allowed = Math.min(NEVER_BLOCKS, base + this.ahead) - sent;
    if (allowed > 0) {
      this.blockedSince.delete(publisher);
      return allowed;
    }
    const now = performance.now();
    const since = this.blockedSince.get(publisher);
    if (since === undefined) {
      this.blockedSince.set(publisher, now);
    } else if (now - since > STALL_MS) {
      this.stalls++;
      this.forced.set(publisher, sent);
      this.blockedSince.delete(publisher);
      return this.ahead;
    }
    this.waiters.add(wake);
    this.poll ??= setInterval(() => this.wakeAll(), 1);
    return 0;
  }

  wakeAll(): void {
    if (this.waiters.size === 0) {
      if (this.poll) {
        clearInterval(this.poll);
        this.poll = undefined;
      }
      return;
    }
    const waiters = [...this.waiters];
    this.waiters.clear();
    for (const w of waiters) w();
  }

  close(): void {
    clearInterval(this.poll);
    this.poll = undefined;
    this.waiters.clear();
  }
}
