import { emptyStats, type LaneStats } from './lane-stats.js';
import { Lanes } from './lanes.js';
import { plannedMessages, type BenchPlan } from './plan.js';
import { buildResult, type BenchResult, type IntervalResult } from './result.js';
import { StatusPrinter, statusText, type StatusSink } from './status-line.js';
import { renderSummary } from './summary.js';
import { Histogram } from '../core/stats/histogram.js';

export interface RunIO {
  stdout: StatusSink;
  stderr: StatusSink;
  json: boolean;
  quiet: boolean;
  /** aborted when the user interrupts (Ctrl-C): the run stops and reports what it has */
  interrupt: AbortSignal;
}

export const EXIT_OK = 0;
export const EXIT_ERRORS = 1;
export const EXIT_INTERRUPTED = 130;

/** After Ctrl-C, how long in-flight messages and acks may still take to arrive. */
const INTERRUPT_GRACE_MS = 1000;

// unref: the ticker keeps the process alive for as long as a run lasts, and a sleep that lost
// its race (a duration cut short by a count) must not hold an embedding process open
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref());

/** Tells the lanes what each publisher sent and waits until subscribers have it (or stop progressing). */
async function drain(lanes: Lanes): Promise<void> {
  const { sentBy } = await lanes.snapshot();
  lanes.broadcast({ type: 'drain', sentBy });
  await lanes.all('drained');
}

/**
 * Runs a bench end to end: connect every lane, publish, drain, finish, report. Every wait is
 * raced against Ctrl-C and bounded, so a run always ends with a summary, never a hang.
 */
export async function runBench(plan: BenchPlan, io: RunIO): Promise<{ code: number; result: BenchResult }> {
  const status = new StatusPrinter(io.stderr, !io.quiet);
  const lanes = new Lanes();
  const startedAt = new Date();
  const connectStart = Date.now();
  let interrupted = false;
  const interruption = new Promise<void>((resolve) => {
    if (io.interrupt.aborted) return resolve();
    io.interrupt.addEventListener('abort', () => resolve(), { once: true });
  }).then(() => void (interrupted = true));
  const unlessInterrupted = (p: Promise<unknown>) => Promise.race([p, interruption]);
  const stopped = () => interrupted || lanes.fatal !== undefined;

  await lanes.start(plan);
  if (lanes.fellBackToMainThread) status.line('note: this build cannot start worker threads; all clients run on the main thread');

  let startMs = connectStart;
  let publishEndMs: number | undefined;
  const intervals: IntervalResult[] = [];
  const ticker = new Ticker(plan, lanes, status, connectStart, () => startMs, intervals);
  ticker.start();

  await unlessInterrupted(lanes.all('ready'));
  const connectEndMs = Date.now();
  if (!stopped()) {
    if (plan.mode === 'conn') {
      if (plan.hold > 0) await unlessInterrupted(sleep(plan.hold * 1000));
    } else if (plan.mode === 'sub') {
      startMs = Date.now();
      const limit = plan.duration > 0 ? sleep(plan.duration * 1000) : new Promise(() => {});
      await unlessInterrupted(Promise.race([lanes.all('subscribers-done'), limit]));
    } else {
      startMs = Date.now();
      lanes.broadcast({ type: 'publish', startMs });
      await unlessInterrupted(publishing(plan, lanes));
      publishEndMs = Date.now();
      if (plan.mode === 'pubsub' && !stopped()) await unlessInterrupted(drain(lanes));
      if (interrupted && !lanes.fatal) {
        // what was already sent still counts: give it a moment to arrive, so that an
        // interrupted run does not report the messages in flight as lost
        lanes.broadcast({ type: 'stop-publishing' });
        await Promise.race([lanes.all('publishers-done'), sleep(INTERRUPT_GRACE_MS)]);
        if (plan.mode === 'pubsub') await Promise.race([drain(lanes), sleep(INTERRUPT_GRACE_MS)]);
      }
    }
  }
  const endMs = Date.now();
  ticker.stop();
  status.clearBar();
  const { stats, streams } = await lanes.finish();
  const fatal = lanes.fatal;
  if (fatal) io.stderr.write(`Error: ${fatal}\n`);
  const errors = stats.connections.failed + stats.connections.lost > 0;
  const code = interrupted ? EXIT_INTERRUPTED : fatal || errors ? EXIT_ERRORS : EXIT_OK;
  const result = buildResult({
    plan,
    stats,
    streams,
    intervals,
    startedAt,
    startMs: plan.mode === 'conn' ? connectStart : startMs,
    publishEndMs,
    connectEndMs,
    endMs,
    interrupted,
    exitCode: code,
  });
  io.stdout.write(io.json ? JSON.stringify(result, null, 2) + '\n' : renderSummary(result));
  return { code, result };
}

/**
 * Resolves when publishing is over: every publisher reached its count (and its acks), or the
 * duration ran out and the publishers were stopped. Acks that never come are waited for only
 * as long as the drain timeout allows, measured from the last progress.
 */
async function publishing(plan: BenchPlan, lanes: Lanes): Promise<void> {
  const done = lanes.all('publishers-done');
  let timer: NodeJS.Timeout | undefined;
  if (plan.duration > 0) {
    await Promise.race([done, new Promise<void>((r) => (timer = setTimeout(r, plan.duration * 1000)))]);
    clearTimeout(timer);
    if (lanes.has('publishers-done') || lanes.fatal) return;
    lanes.broadcast({ type: 'stop-publishing' });
  }
  let last = -1;
  while (!lanes.has('publishers-done') && !lanes.fatal) {
    const s = await lanes.snapshot();
    const progress = s.sent + s.acked + s.rejected;
    const everythingSent = plan.duration > 0 || s.sent >= (plannedMessages(plan) ?? Infinity);
    if (everythingSent && progress === last) return;
    last = progress;
    await Promise.race([done, new Promise<void>((r) => (timer = setTimeout(r, everythingSent ? plan.drainTimeoutMs : 1000)))]);
    clearTimeout(timer);
  }
}

/** Once a second: fresh stats from the lanes, a status line, the progress bar, an interval record. */
class Ticker {
  private timer: NodeJS.Timeout | undefined;
  private busy = false;
  private previous: LaneStats = emptyStats();
  private previousMs: number;

  constructor(
    private readonly plan: BenchPlan,
    private readonly lanes: Lanes,
    private readonly status: StatusPrinter,
    private readonly runStart: number,
    private readonly startMs: () => number,
    private readonly intervals: IntervalResult[],
  ) {
    this.previousMs = runStart;
  }

  start(): void {
    this.timer = setInterval(() => void this.tick(), 1000);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private async tick(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      const now = await this.lanes.snapshot(900);
      const nowMs = Date.now();
      const seconds = Math.max(0.001, (nowMs - this.previousMs) / 1000);
      const t = (nowMs - this.runStart) / 1000;
      const plan = this.plan;
      const planned = plan.mode === 'conn' ? plan.connections : plan.publishers + plan.subscribers;
      this.status.line(statusText(plan.mode, { t, seconds, now, before: this.previous }, planned));
      const which = plan.mode === 'pub' ? 'ackLatency' : plan.mode === 'conn' ? 'connectLatency' : 'latency';
      const lat = Histogram.from(now[which]).since(this.previous[which]);
      this.intervals.push({
        t: Math.round(t * 1000) / 1000,
        sent: now.sent - this.previous.sent,
        received: now.received - this.previous.received,
        connected: now.connections.connected - now.connections.lost,
        p50: lat.total > 0 ? lat.quantile(0.5) / 1000 : null,
        p99: lat.total > 0 ? lat.quantile(0.99) / 1000 : null,
      });
      this.progress(now, nowMs);
      this.previous = now;
      this.previousMs = nowMs;
    } finally {
      this.busy = false;
    }
  }

  private progress(now: LaneStats, nowMs: number): void {
    const plan = this.plan;
    const fractions: number[] = [];
    if (plan.mode === 'conn') fractions.push(now.connections.attempted / Math.max(1, plan.connections));
    const planned = plannedMessages(plan);
    if (planned) fractions.push((plan.mode === 'sub' ? now.received : now.sent) / planned);
    if (plan.duration > 0 && plan.mode !== 'conn') fractions.push((nowMs - this.startMs()) / 1000 / plan.duration);
    if (fractions.length === 0) return;
    const f = Math.max(...fractions);
    this.status.progress(f, plan.duration > 0 ? `${Math.round((nowMs - this.startMs()) / 1000)}/${plan.duration} s` : '');
  }
}
