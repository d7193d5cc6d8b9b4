/**
 * The longest delay Node's setTimeout honours: above 2^31-1 ms (24.8 days) it prints
 * TimeoutOverflowWarning and fires after 1 ms. MQTT's intervals are 32-bit counts of seconds
 * (session expiry, will delay, message expiry: up to 136 years), so every timer computed from
 * one is scheduled here.
 */
export const MAX_TIMEOUT_MS = 2 ** 31 - 1;

/**
 * A timeout of any length: chained setTimeouts of at most MAX_TIMEOUT_MS, each counting down
 * what is left. It never fires early; a delay that is not a finite number never fires.
 */
export class LongTimeout {
  private timer: NodeJS.Timeout | undefined;
  private remaining: number;
  private referenced = true;

  constructor(
    private readonly callback: () => void,
    delayMs: number,
  ) {
    this.remaining = Math.max(0, delayMs);
    if (Number.isFinite(this.remaining)) this.arm();
  }

  /** Lets the process exit while this is pending (as Timeout.unref). */
  unref(): this {
    this.referenced = false;
    this.timer?.unref();
    return this;
  }

  clear(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  get pending(): boolean {
    return this.timer !== undefined;
  }

  private arm(): void {
    const step = Math.min(this.remaining, MAX_TIMEOUT_MS);
    this.timer = setTimeout(() => this.onStep(step), step);
    if (!this.referenced) this.timer.unref();
  }

  private onStep(step: number): void {
    this.remaining -= step;
    if (this.remaining > 0) {
      this.arm();
      return;
    }
    this.timer = undefined;
    this.callback();
  }
}

/** Calls `callback` after `delayMs`, however long; `.clear()` cancels. */
export function setLongTimeout(callback: () => void, delayMs: number): LongTimeout {
  return new LongTimeout(callback, delayMs);
}
