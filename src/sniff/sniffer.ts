import type { ProtocolVersion } from '../core/protocol/types.js';
import type { CapturedFrame, Timestamp } from './frame.js';
import { linkTypeSupported, linkTypeText, supportedLinkTypesText } from './link-types.js';
import type { SniffEvent } from './sniff-events.js';
import { TcpConnection } from './tcp-connection.js';
import { readKeyLog, type KeyLog } from './tls-keylog.js';
import { decodeTcpSegment, TCP_SYN, type SkipReason } from './tcp-segment.js';

/** Connections tracked before closed ones are forgotten (bounds memory on long live captures). */
const MAX_TRACKED = 100_000;

export interface SnifferOptions {
  /** ports where MQTT is assumed even when the CONNECT was not captured (default 1883) */
  mqttPorts?: Iterable<number>;
  /** protocol level assumed for connections whose CONNECT was not captured (default 4) */
  defaultVersion?: ProtocolVersion;
  /** decrypt TLS on MQTT ports with this NSS key log (re-read for each new TLS session) */
  tlsKeyLogFile?: string;
}

export interface CaptureCounters {
  frames: number;
  /** bytes of the frames as captured (link headers included) */
  bytes: number;
  /** frames the snaplen cut short: their missing bytes become gaps in the TCP streams */
  truncatedFrames: number;
  tcpSegments: number;
  skipped: Record<SkipReason, number>;
  connections: number;
  mqttConnections: number;
  retransmittedSegments: number;
  gaps: number;
  gapBytes: number;
}

function addConnection(counters: CaptureCounters, conn: TcpConnection): void {
  counters.retransmittedSegments += conn.retransmittedSegments;
  // gaps in traffic that is not MQTT are none of our business
  if (!conn.isMqtt) return;
  counters.mqttConnections++;
  counters.gaps += conn.gaps;
  counters.gapBytes += conn.gapBytes;
}

/**
 * The decoding pipeline from link-layer frames to MQTT packets: link/IP/TCP decoding, one
 * TcpConnection per 4-tuple (reassembly, protocol detection, per-direction MQTT decoding). Events
 * reach `emit` synchronously, in capture order.
 */
export class Sniffer {
  private readonly connections = new Map<string, TcpConnection>();
  private nextId = 0;
  private lastAt: Timestamp = { sec: 0, nsec: 0, precision: 6 };
  readonly counters: CaptureCounters = {
    frames: 0,
    bytes: 0,
    truncatedFrames: 0,
    tcpSegments: 0,
    skipped: { 'not-ip': 0, 'not-tcp': 0, fragment: 0, malformed: 0 },
    connections: 0,
    mqttConnections: 0,
    retransmittedSegments: 0,
    gaps: 0,
    gapBytes: 0,
  };
  private readonly config;
  /** link types already reported as not decodable: one note each, not one per frame */
  private readonly unsupportedSeen = new Set<number>();

  constructor(emit: (event: SniffEvent) => void, options: SnifferOptions = {}) {
    this.config = {
      mqttPorts: new Set(options.mqttPorts ?? [1883]),
      defaultVersion: options.defaultVersion ?? 4,
      ...(options.tlsKeyLogFile !== undefined && { tlsKeyLog: keyLogReader(options.tlsKeyLogFile) }),
      emit,
    };
  }

  frame(frame: CapturedFrame): void {
    this.counters.frames++;
    this.counters.bytes += frame.data.length;
    if (frame.data.length < frame.origLen) this.counters.truncatedFrames++;
    const at: Timestamp = { sec: frame.sec, nsec: frame.nsec, precision: frame.precision };
    this.lastAt = at;
    if (!linkTypeSupported(frame.linkType) && !this.unsupportedSeen.has(frame.linkType)) {
      this.unsupportedSeen.add(frame.linkType);
      this.config.emit({
        kind: 'note',
        note: 'capture',
        at,
        message: `link type ${linkTypeText(frame.linkType)} is not supported: its frames are skipped (supported: ${supportedLinkTypesText()})`,
      });
    }
    const seg = decodeTcpSegment(frame.linkType, frame.data);
    if (typeof seg === 'string') {
      this.counters.skipped[seg]++;
      return;
    }
    this.counters.tcpSegments++;
    const forward = `${seg.src}|${seg.sport}|${seg.dst}|${seg.dport}`;
    let conn = this.connections.get(forward);
    let side: 0 | 1 = 0;
    let key = forward;
    if (!conn) {
      key = `${seg.dst}|${seg.dport}|${seg.src}|${seg.sport}`;
      conn = this.connections.get(key);
      side = 1;
    }
    if (conn && seg.flags & TCP_SYN && conn.isNewSyn(seg, side)) {
      // the 4-tuple is reused by a new connection
      this.retire(conn, at);
      this.connections.delete(key);
      conn = undefined;
    }
    if (!conn) {
      key = forward;
      side = 0;
      conn = new TcpConnection(this.nextId++, [seg.src, seg.dst], [seg.sport, seg.dport], this.config);
      this.connections.set(key, conn);
      this.counters.connections++;
      if (this.connections.size > MAX_TRACKED) this.forgetClosed();
    }
    if (conn.closed) {
      // both FINs were delivered, so any data now is a retransmission (tail-loss probes on lo)
      if (seg.payload.length > 0) this.counters.retransmittedSegments++;
      return;
    }
    conn.segment(seg, side, at);
    if (conn.closed) this.retire(conn, at);
  }

  /** End of the capture: connections still open give up what they hold. */
  finish(): void {
    for (const conn of this.connections.values()) if (!conn.closed) this.retire(conn, this.lastAt);
    this.connections.clear();
  }

  /** Counts a connection once it is closed; it stays in the table so late ACKs and
   * retransmitted FINs are recognised as its own and not taken for a new mid-stream connection. */
  private retire(conn: TcpConnection, at: Timestamp): void {
    conn.close(at, 'still open at the end of the capture');
    addConnection(this.counters, conn);
  }

  /** The counters with the connections still open included (for a summary after -c or Ctrl-C). */
  totals(): CaptureCounters {
    const t: CaptureCounters = { ...this.counters, skipped: { ...this.counters.skipped } };
    for (const conn of this.connections.values()) if (!conn.closed) addConnection(t, conn);
    return t;
  }

  private forgetClosed(): void {
    for (const [key, conn] of this.connections) if (conn.closed) this.connections.delete(key);
  }
}

/**
 * The key log as it is now: a live capture's clients keep appending to it, so it is read again
 * when a TLS session starts (at most once a second).
 */
function keyLogReader(file: string): () => KeyLog {
  let log: KeyLog = new Map();
  let readAt = -Infinity;
  return () => {
    if (Date.now() - readAt >= 1000) {
      readAt = Date.now();
      try {
        log = readKeyLog(file);
      } catch {
        // unreadable now: the session says it has no secrets
      }
    }
    return log;
  };
}
