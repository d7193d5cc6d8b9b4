import { Histogram } from '../core/stats/histogram.js';
import type { CaptureCounters } from './sniffer.js';
import type { SniffEvent } from './sniff-events.js';
import { packetTypeName } from './mqtt-header.js';

export interface LatencyTotals {
  count: number;
  min: number;
  p50: number;
  p99: number;
  max: number;
}

/** Ack latencies in µs in a log-linear histogram: memory stays flat however long the capture. */
class LatencyStats {
  private readonly h = new Histogram();

  record(ms: number): void {
    this.h.record(ms * 1000);
  }

  get count(): number {
    return this.h.total;
  }

  /** Milliseconds; percentiles are the top of their histogram bucket (under 1.6 % high). */
  toJSON(): LatencyTotals | null {
    if (this.h.total === 0) return null;
    const ms = (us: number) => us / 1000;
    return { count: this.h.total, min: ms(this.h.min), p50: ms(this.h.quantile(0.5)), p99: ms(this.h.quantile(0.99)), max: ms(this.h.max) };
  }
}

/** Totals for the summary printed on exit (and on Ctrl-C), gathered from the event stream. */
export class SniffSummary {
  packets = 0;
  /** bytes of all MQTT packets, fixed headers included */
  mqttBytes = 0;
  malformed = 0;
  /** rows in the order the types were first seen */
  readonly byType = new Map<string, { c2s: number; s2c: number }>();
  /** the same rows by type number: no name and no hashing per packet */
  private readonly typeRows: ({ c2s: number; s2c: number } | undefined)[] = [];
  readonly clients = new Set<string>();
  private readonly topicCounts = new Map<string, number>();
  /** PUBLISHes of the same topic come in runs: counted here, added to the map when the topic changes */
  private runTopic: string | undefined;
  private runCount = 0;
  readonly violations = new Map<string, number>();
  readonly latency = { puback: new LatencyStats(), pubcomp: new LatencyStats() };
  skippedBytes = 0;
  payloadBytes = 0;
  notMqtt = 0;

  add(ev: SniffEvent): void {
    if (ev.kind === 'note') {
      if (ev.note === 'violation') {
        const key = ev.rule ? `[${ev.rule}] ${ev.message}` : ev.message;
        this.violations.set(key, (this.violations.get(key) ?? 0) + 1);
      } else if (ev.note === 'skipped') this.skippedBytes += ev.bytes ?? 0;
      else if (ev.note === 'not-mqtt') this.notMqtt++;
      return;
    }
    this.packets++;
    this.mqttBytes += ev.raw.length;
    const typeNumber = ev.raw[0]! >> 4;
    let row = this.typeRows[typeNumber];
    if (!row) {
      this.typeRows[typeNumber] = row = { c2s: 0, s2c: 0 };
      this.byType.set(packetTypeName(ev.raw[0]!), row);
    }
    if (ev.fromClient) row.c2s++;
    else row.s2c++;
    const p = ev.packet;
    if (!p) {
      this.malformed++;
      return;
    }
    if (p.cmd === 'connect') this.clients.add(p.clientId);
    else if (p.cmd === 'publish') {
      if (p.topic === this.runTopic) this.runCount++;
      else {
        this.endRun();
        // a new topic takes its place in the map now: ties among the busiest keep first-seen order
        if (!this.topicCounts.has(p.topic)) this.topicCounts.set(p.topic, 0);
        this.runTopic = p.topic;
        this.runCount = 1;
      }
      this.payloadBytes += p.payload.length;
    } else if (ev.latencyMs !== undefined && (p.cmd === 'puback' || p.cmd === 'pubcomp')) {
      this.latency[p.cmd].record(ev.latencyMs);
    }
  }

  /** PUBLISH count per topic, in first-seen order. */
  get topics(): ReadonlyMap<string, number> {
    this.endRun();
    return this.topicCounts;
  }

  private endRun(): void {
    if (this.runTopic === undefined) return;
    this.topicCounts.set(this.runTopic, this.topicCounts.get(this.runTopic)! + this.runCount);
    this.runTopic = undefined;
    this.runCount = 0;
  }

  violationCount(): number {
    let n = 0;
    for (const v of this.violations.values()) n += v;
    return n;
  }

  /** A plain object for `--summary --json` and for the text form. */
  toJSON(counters: CaptureCounters): Record<string, unknown> {
    const topTopics = [...this.topics].sort((a, b) => b[1] - a[1]).slice(0, 10);
    return {
      frames: counters.frames,
      bytes: counters.bytes,
      truncatedFrames: counters.truncatedFrames,
      tcpSegments: counters.tcpSegments,
      connections: counters.connections,
      mqttConnections: counters.mqttConnections,
      notMqttConnections: this.notMqtt,
      packets: this.packets,
      mqttBytes: this.mqttBytes,
      malformed: this.malformed,
      byType: Object.fromEntries(this.byType),
      clients: [...this.clients],
      publishPayloadBytes: this.payloadBytes,
      topics: Object.fromEntries(topTopics),
      latencyMs: { puback: this.latency.puback.toJSON(), pubcomp: this.latency.pubcomp.toJSON() },
      gaps: counters.gaps,
      gapBytes: counters.gapBytes,
      retransmittedSegments: counters.retransmittedSegments,
      skippedBytes: this.skippedBytes,
      violations: Object.fromEntries(this.violations),
    };
  }
}
