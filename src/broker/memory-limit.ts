/**
 * Mosquitto's `memory_limit`: Mosquitto counts its own heap allocations and denies the one that
 * would pass the limit, dropping the message being processed. Node cannot deny one allocation, so
 * the broker compares what it holds (the JavaScript heap in use plus Buffers: payloads, queues,
 * retained messages) with the limit, sampled at most every SAMPLE_MS, and refuses new PUBLISHes
 * while it is over. The count includes garbage not yet collected, so it errs on the side of refusing.
 */
const SAMPLE_MS = 50;

export class MemoryLimit {
  private checkedAt = -Infinity;
  private over = false;

  constructor(
    readonly bytes: number,
    /** called when the broker goes over the limit and when it is back under it */
    private readonly onChange: (over: boolean, inUse: number) => void = () => {},
  ) {}

  /** The bytes counted against the limit. */
  static inUse(): number {
    const m = process.memoryUsage();
    return m.heapUsed + m.arrayBuffers;
  }

  exceeded(): boolean {
    const now = performance.now();
    if (now - this.checkedAt < SAMPLE_MS) return this.over;
    this.checkedAt = now;
    const inUse = MemoryLimit.inUse();
    const over = inUse > this.bytes;
    if (over !== this.over) this.onChange(over, inUse);
    this.over = over;
    return over;
  }
}
