import { Histogram, type HistogramData } from '../core/stats/histogram.js';
import type { StreamCounts } from './stream-tracker.js';

/** Connection outcomes, with failures tallied by reason ("Connection refused": 10). */
export interface ConnectionCounts {
  attempted: number;
  connected: number;
  failed: number;
  /** connections that closed during the run without us asking */
  lost: number;
  errors: Record<string, number>;
}

/**
 * Everything one lane (thread) counted since the run began. Cumulative, so a lost or late
 * snapshot never loses counts; the main thread takes differences for per-second figures.
 */
export interface LaneStats {
  connections: ConnectionCounts;
  /** subscribers whose SUBACK granted the subscription */
  subscribed: number;
  sent: number;
  /** QoS 1: PUBACK; QoS 2: PUBCOMP */
  acked: number;
  /** v5 acks with a failure reason code */
  rejected: number;
  inflight: number;
  /** scheduled messages shed because a publisher fell more than 100 ms behind its rate */
  overrun: number;
  /** times a publisher waited over the stall limit for its subscribers and went on anyway */
  aheadStalls: number;
  received: number;
  unique: number;
  duplicates: number;
  outOfOrder: number;
  /** messages missing below the highest sequence number seen, summed over streams */
  gaps: number;
  /** messages without our header or from another run */
  foreign: number;
  /** end to end (subscribers), µs */
  latency: HistogramData;
  /** PUBLISH to PUBACK/PUBCOMP (publishers), µs */
  ackLatency: HistogramData;
  /** TCP connect to CONNACK, µs */
  connectLatency: HistogramData;
  /** messages sent per publisher index, for exact loss per stream */
  sentBy: Record<number, number>;
  /** publishers of this lane that have finished */
  publishersDone: number;
  /** wall-clock ms of the last bench message received (0: none), for the receive rate */
  lastReceiveAt: number;
  /** wall-clock ms of the last PUBLISH written (0: none), for the publish rate */
  lastSendAt: number;
  /** wall-clock ms of the first bench message received (0: none): sub mode's rate starts there */
  firstReceiveAt: number;
  /** wall-clock ms of the first connection attempt (0: none): conn mode's rate starts there */
  firstConnectAt: number;
}

/** What subscribers of a lane saw from one publisher (summed over those subscribers). */
export interface StreamReport extends StreamCounts {
  runId: number;
  publisher: number;
  subscribers: number;
  /** sum over subscribers of the gaps each one saw below its highest sequence number */
  gaps: number;
}

export function emptyConnections(): ConnectionCounts {
  return { attempted: 0, connected: 0, failed: 0, lost: 0, errors: {} };
}

export function emptyStats(): LaneStats {
  return {
    connections: emptyConnections(),
    subscribed: 0,
    sent: 0,
    acked: 0,
    rejected: 0,
    inflight: 0,
    overrun: 0,
    aheadStalls: 0,
    received: 0,
    unique: 0,
    duplicates: 0,
    outOfOrder: 0,
    gaps: 0,
    foreign: 0,
    latency: new Histogram(),
    ackLatency: new Histogram(),
    connectLatency: new Histogram(),
    sentBy: {},
    publishersDone: 0,
    lastReceiveAt: 0,
    lastSendAt: 0,
    firstReceiveAt: 0,
    firstConnectAt: 0,
  };
}

const COUNTERS = [
  'subscribed', 'sent', 'acked', 'rejected', 'inflight', 'overrun', 'aheadStalls',
  'received', 'unique', 'duplicates', 'outOfOrder', 'gaps', 'foreign', 'publishersDone',
] as const;

/** The earlier of two wall-clock times where 0 means "never". */
function earliest(a: number, b: number): number {
  return a === 0 ? b : b === 0 ? a : Math.min(a, b);
}

/** Sums the stats of all lanes into one (histograms merged bucket by bucket). */
export function mergeStats(all: readonly LaneStats[]): LaneStats {
  const out = emptyStats();
  const latency = new Histogram();
  const ackLatency = new Histogram();
  const connectLatency = new Histogram();
  for (const s of all) {
    for (const k of COUNTERS) out[k] += s[k];
    const c = s.connections;
    out.connections.attempted += c.attempted;
    out.connections.connected += c.connected;
    out.connections.failed += c.failed;
    out.connections.lost += c.lost;
    for (const [reason, n] of Object.entries(c.errors)) out.connections.errors[reason] = (out.connections.errors[reason] ?? 0) + n;
    out.lastReceiveAt = Math.max(out.lastReceiveAt, s.lastReceiveAt);
    out.lastSendAt = Math.max(out.lastSendAt, s.lastSendAt);
    out.firstReceiveAt = earliest(out.firstReceiveAt, s.firstReceiveAt);
    out.firstConnectAt = earliest(out.firstConnectAt, s.firstConnectAt);
    latency.add(s.latency);
    ackLatency.add(s.ackLatency);
    connectLatency.add(s.connectLatency);
    for (const [p, n] of Object.entries(s.sentBy)) out.sentBy[Number(p)] = (out.sentBy[Number(p)] ?? 0) + n;
  }
  out.latency = latency;
  out.ackLatency = ackLatency;
  out.connectLatency = connectLatency;
  return out;
}

/** Merges stream reports of the same stream from different lanes. */
export function mergeStreams(all: readonly StreamReport[]): StreamReport[] {
  const byKey = new Map<string, StreamReport>();
  for (const s of all) {
    const key = `${s.runId}:${s.publisher}`;
    const have = byKey.get(key);
    if (!have) {
      byKey.set(key, { ...s });
      continue;
    }
    have.received += s.received;
    have.unique += s.unique;
    have.duplicates += s.duplicates;
    have.outOfOrder += s.outOfOrder;
    have.next = Math.max(have.next, s.next);
    have.gaps += s.gaps;
    have.subscribers += s.subscribers;
  }
  return [...byKey.values()].sort((a, b) => a.runId - b.runId || a.publisher - b.publisher);
}
