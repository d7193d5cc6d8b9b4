/** How far a publisher may fall behind its schedule before the excess is shed as overrun. */
const MAX_BACKLOG_SECONDS = 0.1;

/**
 * A fixed-rate schedule for one sender. It releases messages as time passes; when the sender
 * cannot keep up (socket full, in-flight window closed, broker slow), the backlog is capped at
 * 100 ms worth and what is shed is counted as overrun, instead of sending a burst later that
 * would misstate both the rate and the latency the user asked about.
 */
export class RateSchedule {
  /** messages shed because the sender was too far behind */
  overrun = 0;
  private released = 0;
  private readonly maxBacklog: number;

  constructor(
    private readonly perSecond: number,
    private readonly startMs: number,
  ) {
    this.maxBacklog = Math.max(1, Math.ceil(perSecond * MAX_BACKLOG_SECONDS));
  }

  /** Messages the sender may send now, given how many it has sent so far. */
  due(nowMs: number, sent: number): number {
    const target = Math.floor(((nowMs - this.startMs) / 1000) * this.perSecond);
    if (target > this.released) this.released = target;
    const backlog = this.released - this.overrun - sent;
    if (backlog > this.maxBacklog) {
      this.overrun += backlog - this.maxBacklog;
      return this.maxBacklog;
    }
    return Math.max(0, backlog);
  }

  /** Milliseconds until the next message is released (for the timer). */
  waitMs(nowMs: number): number {
    const next = (this.released + 1) / this.perSecond;
    return Math.max(0, this.startMs + next * 1000 - nowMs);
  }
}
