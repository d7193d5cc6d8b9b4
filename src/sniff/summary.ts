import type { CaptureCounters } from './sniffer.js';
import type { SniffEvent } from './sniff-events.js';
import { packetTypeName } from './mqtt-header.js';

/** Totals for `--summary`, gathered from the event stream. */
export class SniffSummary {
  packets = 0;
  malformed = 0;
  readonly byType = new Map<string, { c2s: number; s2c: number }>();
  readonly clients = new Set<string>();
  readonly topics = new Map<string, number>();
  readonly violations = new Map<string, number>();
  skippedBytes = 0;
  payloadBytes = 0;

  add(ev: SniffEvent): void {
    if (ev.kind === 'note') {
      if (ev.note === 'violation') {
        const key = ev.rule ? `[${ev.rule}] ${ev.message}` : ev.message;
        this.violations.set(key, (this.violations.get(key) ?? 0) + 1);
      } else if (ev.note === 'skipped') this.skippedBytes += ev.bytes ?? 0;
      return;
    }
    this.packets++;
    const type = packetTypeName(ev.raw[0]!);
    const row = this.byType.get(type) ?? { c2s: 0, s2c: 0 };
    row[ev.fromClient ? 'c2s' : 's2c']++;
    this.byType.set(type, row);
    const p = ev.packet;
    if (!p) {
      this.malformed++;
      return;
    }
    if (p.cmd === 'connect') this.clients.add(p.clientId);
    if (p.cmd === 'publish') {
      this.topics.set(p.topic, (this.topics.get(p.topic) ?? 0) + 1);
      this.payloadBytes += p.payload.length;
    }
  }

  violationCount(): number {
    let n = 0;
    for (const v of this.violations.values()) n += v;
    return n;
  }

  /** A plain object for `--json` and for the text form. */
  toJSON(counters: CaptureCounters): Record<string, unknown> {
    const topTopics = [...this.topics].sort((a, b) => b[1] - a[1]).slice(0, 10);
    return {
      frames: counters.frames,
      tcpSegments: counters.tcpSegments,
      connections: counters.connections,
      mqttConnections: counters.mqttConnections,
      packets: this.packets,
      malformed: this.malformed,
      byType: Object.fromEntries(this.byType),
      clients: [...this.clients],
      publishPayloadBytes: this.payloadBytes,
      topics: Object.fromEntries(topTopics),
      retransmittedSegments: counters.retransmittedSegments,
      gapBytes: counters.gapBytes,
      skippedBytes: this.skippedBytes,
      violations: Object.fromEntries(this.violations),
    };
  }
}
