import { Histogram, type HistogramData, type LatencySummary } from '../core/stats/histogram.js';
import type { LaneStats, StreamReport } from './lane-stats.js';
import type { BenchMode, BenchPlan } from './plan.js';
import { targetUrl } from './target-url.js';

/** The plan's fields a report repeats, in this order. */
export const CONFIG_KEYS = [
  'publishers', 'subscribers', 'connections', 'topic', 'filter', 'qos', 'subQos', 'payloadSize',
  'rate', 'count', 'duration', 'inflight', 'ahead', 'concurrency', 'hold', 'workers',
] as const;

/** Bumped on any change that could break a reader of `--json`; see report-schema.ts. */
export const RESULT_SCHEMA = 'mqtt-bench/1';

/** Latency in milliseconds, with the histogram regrouped into 1-2-5 bins for charts. */
export interface LatencyResult extends LatencySummary {
  /** `le`: upper edge of the bin in ms; bins between the smallest and largest value seen */
  bins: Array<{ le: number; count: number }>;
}

export interface IntervalResult {
  /** seconds since the start of the run, at the end of this interval */
  t: number;
  sent: number;
  received: number;
  connected: number;
  p50: number | null;
  p99: number | null;
}

export interface StreamResult {
  runId: string;
  publisher: number;
  /** null when this run did not publish the stream (sub mode) */
  sent: number | null;
  received: number;
  unique: number;
  lost: number;
  duplicates: number;
  outOfOrder: number;
}

export interface BenchResult {
  schema: typeof RESULT_SCHEMA;
  mode: BenchMode;
  target: { url: string; protocolVersion: number };
  config: Pick<BenchPlan, (typeof CONFIG_KEYS)[number]>;
  runId: string;
  startedAt: string;
  /** from the start of publishing (conn mode: of connecting) to the end of the run */
  elapsedSeconds: number;
  interrupted: boolean;
  exitCode: number;
  connections: {
    attempted: number;
    connected: number;
    failed: number;
    lost: number;
    errors: Array<{ reason: string; count: number }>;
    perSecond: number;
  };
  publish: null | {
    sent: number;
    acked: number;
    rejected: number;
    unacked: number;
    overrun: number;
    aheadStalls: number;
    seconds: number;
    rate: number;
    targetRate: number | null;
    bytesPerSecond: number;
  };
  receive: null | {
    received: number;
    unique: number;
    /** exact in pubsub (published minus received); in sub only the gaps below each stream's highest sequence */
    lost: number;
    lostExact: boolean;
    duplicates: number;
    outOfOrder: number;
    foreign: number;
    seconds: number;
    rate: number;
  };
  latency: {
    endToEnd: LatencyResult | null;
    ack: LatencyResult | null;
    connect: LatencyResult | null;
  };
  streams: StreamResult[];
  intervals: IntervalResult[];
}

export interface RunFacts {
  plan: BenchPlan;
  stats: LaneStats;
  streams: StreamReport[];
  intervals: IntervalResult[];
  startedAt: Date;
  /** Date.now() values */
  startMs: number;
  publishEndMs: number | undefined;
  connectEndMs: number | undefined;
  endMs: number;
  interrupted: boolean;
  exitCode: number;
}

const hex = (n: number) => n.toString(16).padStart(8, '0');
const round = (n: number, digits = 3) => Math.round(n * 10 ** digits) / 10 ** digits;

export function buildResult(f: RunFacts): BenchResult {
  const { plan, stats } = f;
  const elapsed = Math.max(0.001, (f.endMs - f.startMs) / 1000);
  const publishes = plan.mode === 'pub' || plan.mode === 'pubsub';
  const receives = plan.mode === 'sub' || plan.mode === 'pubsub';
  const streams = streamResults(f);
  const pubSeconds = Math.max(0.001, ((stats.lastSendAt || f.publishEndMs || f.endMs) - f.startMs) / 1000);
  // sub mode waits for publishers it does not control: its rate runs from the first message
  const recvStart = plan.mode === 'sub' && stats.firstReceiveAt > 0 ? stats.firstReceiveAt : f.startMs;
  const recvSeconds = Math.max(0.001, ((stats.lastReceiveAt || f.endMs) - recvStart) / 1000);
  const connectSeconds = Math.max(0.001, ((f.connectEndMs ?? f.endMs) - (stats.firstConnectAt || f.startMs)) / 1000);
  const lostExact = plan.mode === 'pubsub';
  return {
    schema: RESULT_SCHEMA,
    mode: plan.mode,
    target: { url: targetUrl(plan.target), protocolVersion: plan.target.protocolVersion },
    config: Object.fromEntries(CONFIG_KEYS.map((k) => [k, plan[k]])) as BenchResult['config'],
    runId: hex(plan.runId),
    startedAt: f.startedAt.toISOString(),
    elapsedSeconds: round(elapsed),
    interrupted: f.interrupted,
    exitCode: f.exitCode,
    connections: {
      attempted: stats.connections.attempted,
      connected: stats.connections.connected,
      failed: stats.connections.failed,
      lost: stats.connections.lost,
      errors: Object.entries(stats.connections.errors)
        .map(([reason, count]) => ({ reason, count }))
        .sort((a, b) => b.count - a.count || a.reason.localeCompare(b.reason)),
      perSecond: plan.mode === 'conn' ? round(stats.connections.connected / connectSeconds, 1) : 0,
    },
    publish: publishes
      ? {
          sent: stats.sent,
          acked: stats.acked,
          rejected: stats.rejected,
          unacked: plan.qos > 0 ? stats.sent - stats.acked - stats.rejected : 0,
          overrun: stats.overrun,
          aheadStalls: stats.aheadStalls,
          seconds: round(pubSeconds),
          rate: round(stats.sent / pubSeconds, 1),
          targetRate: plan.rate > 0 ? plan.rate : null,
          bytesPerSecond: Math.round((stats.sent * plan.payloadSize) / pubSeconds),
        }
      : null,
    receive: receives
      ? {
          received: stats.received,
          unique: stats.unique,
          lost: lostExact ? streams.reduce((n, s) => n + s.lost, 0) : stats.gaps,
          lostExact,
          duplicates: stats.duplicates,
          outOfOrder: stats.outOfOrder,
          foreign: stats.foreign,
          seconds: round(recvSeconds),
          rate: round(stats.unique / recvSeconds, 1),
        }
      : null,
    latency: {
      endToEnd: receives ? latencyResult(stats.latency) : null,
      ack: publishes && plan.qos > 0 ? latencyResult(stats.ackLatency) : null,
      connect: latencyResult(stats.connectLatency),
    },
    streams,
    intervals: f.intervals,
  };
}

/**
 * Per publisher: in pubsub every connected subscriber should get every message a publisher sent,
 * so loss is exact; in sub mode what was sent is unknown and only gaps can be seen.
 */
function streamResults(f: RunFacts): StreamResult[] {
  const { plan, stats } = f;
  const subscribers = stats.subscribed;
  const out: StreamResult[] = [];
  if (plan.mode === 'pubsub') {
    const byPublisher = new Map(f.streams.filter((s) => s.runId === plan.runId).map((s) => [s.publisher, s]));
    for (let p = 0; p < plan.publishers; p++) {
      const sent = stats.sentBy[p] ?? 0;
      const s = byPublisher.get(p);
      const unique = s?.unique ?? 0;
      out.push({
        runId: hex(plan.runId),
        publisher: p,
        sent,
        received: s?.received ?? 0,
        unique,
        lost: Math.max(0, sent * subscribers - unique),
        duplicates: s?.duplicates ?? 0,
        outOfOrder: s?.outOfOrder ?? 0,
      });
    }
    return out;
  }
  for (const s of f.streams) {
    out.push({
      runId: hex(s.runId),
      publisher: s.publisher,
      sent: null,
      received: s.received,
      unique: s.unique,
      lost: s.gaps,
      duplicates: s.duplicates,
      outOfOrder: s.outOfOrder,
    });
  }
  return out;
}

/** 1-2-5 bin edges in µs: 1, 2, 5, 10, 20, 50 … */
function binEdge(k: number): number {
  return [1, 2, 5][k % 3]! * 10 ** Math.floor(k / 3);
}

export function latencyResult(data: HistogramData): LatencyResult | null {
  if (data.total === 0) return null;
  const h = data instanceof Histogram ? data : Histogram.from(data);
  const s = h.summary();
  let lo = 0;
  while (binEdge(lo + 1) <= s.min) lo++;
  let hi = lo + 1;
  while (binEdge(hi) <= s.max) hi++;
  const edges: number[] = [];
  for (let k = lo; k <= hi; k++) edges.push(binEdge(k));
  const counts = h.binned(edges);
  const ms = (us: number) => round(us / 1000, 3);
  return {
    count: s.count,
    min: ms(s.min),
    mean: ms(s.mean),
    p50: ms(s.p50),
    p90: ms(s.p90),
    p99: ms(s.p99),
    p999: ms(s.p999),
    max: ms(s.max),
    bins: counts.map((count, i) => ({ le: ms(edges[i + 1]!), count })),
  };
}
