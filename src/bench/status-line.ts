import { Histogram } from '../core/stats/histogram.js';
import type { LaneStats } from './lane-stats.js';
import type { BenchMode } from './plan.js';

export interface StatusSink {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

const n = (x: number) => Math.round(x).toLocaleString('en-US');
const ms = (us: number) => (us / 1000).toFixed(2);

/** One second of a run, as the status line shows it. */
export interface Interval {
  t: number;
  seconds: number;
  now: LaneStats;
  before: LaneStats;
}

/** The per-second line: rates over the last interval, totals that matter so far. */
export function statusText(mode: BenchMode, iv: Interval, plannedConnections: number): string {
  const { now, before, seconds } = iv;
  const rate = (k: 'sent' | 'received' | 'acked') => n((now[k] - before[k]) / seconds);
  const parts = [`${String(Math.round(iv.t)).padStart(4)}s`];
  const conns = `conns ${n(now.connections.connected - now.connections.lost)}/${n(plannedConnections)}`;
  const lat = (label: string, cur: LaneStats['latency'], prev: LaneStats['latency']) => {
    const d = Histogram.from(cur).since(prev);
    return d.total > 0 ? `${label} p50 ${ms(d.quantile(0.5))} p99 ${ms(d.quantile(0.99))} ms` : '';
  };
  if (mode === 'conn') {
    parts.push(conns, `+${n((now.connections.connected - before.connections.connected) / seconds)}/s`);
    parts.push(lat('handshake', now.connectLatency, before.connectLatency));
  }
  if (mode === 'pub' || mode === 'pubsub') {
    parts.push(`sent ${rate('sent')}/s`);
    if (now.inflight > 0 || now.acked > 0) parts.push(`acked ${rate('acked')}/s`, `inflight ${n(now.inflight)}`);
  }
  if (mode === 'sub' || mode === 'pubsub') {
    parts.push(`recv ${rate('received')}/s`, `gaps ${n(now.gaps)}`, `dup ${n(now.duplicates)}`, `ooo ${n(now.outOfOrder)}`);
    parts.push(lat('e2e', now.latency, before.latency));
  }
  if (mode === 'pub') parts.push(lat('ack', now.ackLatency, before.ackLatency));
  if (now.overrun > 0) parts.push(`overrun ${n(now.overrun)}`);
  if (mode !== 'conn') parts.push(conns);
  const errors = now.connections.failed + now.connections.lost;
  if (errors > 0) parts.push(`errors ${n(errors)}`);
  return parts.filter((p) => p !== '').join('  ');
}

/**
 * Status lines on stderr, one per second; on a terminal, a progress bar kept on the last line
 * below them while the run is bounded (by count or duration). Pipes get plain lines only.
 */
export class StatusPrinter {
  private barShown = false;

  constructor(
    private readonly sink: StatusSink,
    private readonly enabled: boolean,
  ) {}

  line(text: string): void {
    if (!this.enabled) return;
    this.clearBar();
    this.sink.write(text + '\n');
  }

  /** `fraction` 0..1 of the bounded work done. */
  progress(fraction: number, label: string): void {
    if (!this.enabled || !this.sink.isTTY) return;
    const width = Math.max(10, Math.min(50, (this.sink.columns ?? 80) - label.length - 12));
    const f = Math.min(1, Math.max(0, fraction));
    const filled = Math.round(f * width);
    this.clearBar();
    this.sink.write(`[${'='.repeat(filled)}${' '.repeat(width - filled)}] ${(f * 100).toFixed(0).padStart(3)}% ${label}`);
    this.barShown = true;
  }

  clearBar(): void {
    if (!this.barShown) return;
    this.sink.write('\r\x1b[K');
    this.barShown = false;
  }
}
