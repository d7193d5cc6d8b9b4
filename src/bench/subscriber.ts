import type { Packet } from 'mqtt-packet';
import { encodePacket } from '../core/protocol/codec.js';
import { BenchConnectError, type BenchClient, type RawPublish } from './bench-client.js';
import type { StreamReport } from './lane-stats.js';
import { elapsedMicros, isBenchPayload, monotonicNow, PUBLISHER_OFFSET, RUN_ID_OFFSET, SEQUENCE_OFFSET, TIME_OFFSET } from './payload-header.js';
import type { RoleContext } from './role-context.js';
import { StreamTracker } from './stream-tracker.js';

const PUBACK = 0x40;
const PUBREC = 0x50;
const PUBCOMP = 0x70;
/** publisher indexes above this are not ours (keys are runId * 2^20 + publisher) */
const MAX_PUBLISHERS = 1 << 20;

/**
 * One subscribing connection: answers QoS 1/2, and files every bench message under its stream
 * (run id + publisher) for loss, duplicate and order accounting and end-to-end latency.
 */
export class Subscriber {
  received = 0;
  foreign = 0;
  done = false;
  lastReceiveAt = 0;
  firstReceiveAt = 0;
  /** pubsub: only our own run counts; sub: every run seen is its own set of streams */
  private readonly streams = new Map<number, StreamTracker>();
  private chunkNow: [number, number] | undefined;

  constructor(
    readonly index: number,
    readonly client: BenchClient,
    private readonly ctx: RoleContext<Subscriber>,
  ) {}

  /** SUBSCRIBE and wait for a granting SUBACK. */
  subscribe(): Promise<void> {
    const { client } = this;
    const { plan } = this.ctx;
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new BenchConnectError('timed out waiting for SUBACK')), plan.target.connectTimeoutMs);
      timer.unref();
      client.handlers = {
        onPacket: (packet: Packet) => {
          if (packet.cmd !== 'suback') return;
          clearTimeout(timer);
          const granted = packet.granted[0];
          const code = typeof granted === 'number' ? granted : 0x80;
          if (code >= 0x80) reject(new BenchConnectError(`subscription refused (0x${code.toString(16)})`));
          else resolve();
        },
        onClose: (err) => {
          clearTimeout(timer);
          reject(new BenchConnectError(err ? err.message : 'closed before SUBACK'));
        },
      };
      client.send(
        encodePacket({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: plan.filter, qos: plan.subQos }] }, plan.target.protocolVersion),
      );
    }).then(() => {
      client.handlers = {
        onPublish: (p) => this.onPublish(p),
        onAck: (type, id) => type === 6 && client.queueAck(PUBCOMP, id),
        onChunkDone: () => {
          if (this.chunkNow) {
            this.lastReceiveAt = Date.now();
            if (this.firstReceiveAt === 0) this.firstReceiveAt = this.lastReceiveAt;
          }
          this.chunkNow = undefined;
          this.ctx.gate?.wakeAll();
        },
        onClose: () => this.finish(),
      };
    });
  }

  get unique(): number {
    let n = 0;
    for (const t of this.streams.values()) n += t.unique;
    return n;
  }

  /** Totals over this subscriber's streams. */
  totals(): { unique: number; duplicates: number; outOfOrder: number; gaps: number } {
    const out = { unique: 0, duplicates: 0, outOfOrder: 0, gaps: 0 };
    for (const t of this.streams.values()) {
      out.unique += t.unique;
      out.duplicates += t.duplicates;
      out.outOfOrder += t.outOfOrder;
      out.gaps += t.gaps;
    }
    return out;
  }

  streamReports(): StreamReport[] {
    return [...this.streams].map(([key, t]) => ({
      runId: Math.floor(key / MAX_PUBLISHERS),
      publisher: key % MAX_PUBLISHERS,
      subscribers: 1,
      gaps: t.gaps,
      ...t.counts(),
    }));
  }

  /** Whether every message of each publisher (by the counts given) has arrived. */
  hasAll(sentBy: Record<number, number>): boolean {
    for (const [p, sent] of Object.entries(sentBy)) {
      if (sent === 0) continue;
      const t = this.streams.get(this.ctx.plan.runId * MAX_PUBLISHERS + Number(p));
      if (!t || t.unique < sent) return false;
    }
    return true;
  }

  finish(): void {
    if (this.done) return;
    this.done = true;
    this.ctx.gate?.retire(this.index);
    this.ctx.onDone(this);
  }

  private onPublish(p: RawPublish): void {
    if (p.qos === 1) this.client.queueAck(PUBACK, p.packetId);
    else if (p.qos === 2) this.client.queueAck(PUBREC, p.packetId);
    if (this.done) return;
    this.received++;
    const { buf, payloadStart: at } = p;
    if (!isBenchPayload(buf, at, p.payloadEnd - at)) {
      this.foreign++;
      return;
    }
    const runId = buf.readUInt32BE(at + RUN_ID_OFFSET);
    const publisher = buf.readUInt32BE(at + PUBLISHER_OFFSET);
    const mine = runId === this.ctx.plan.runId;
    if (publisher >= MAX_PUBLISHERS || (this.ctx.plan.mode === 'pubsub' && !mine)) {
      this.foreign++;
      return;
    }
    const key = runId * MAX_PUBLISHERS + publisher;
    let tracker = this.streams.get(key);
    if (!tracker) {
      tracker = new StreamTracker();
      this.streams.set(key, tracker);
    }
    tracker.record(buf.readUInt32BE(at + SEQUENCE_OFFSET));
    this.chunkNow ??= monotonicNow();
    this.ctx.latency.record(elapsedMicros(buf.readUInt32BE(at + TIME_OFFSET), buf.readUInt32BE(at + TIME_OFFSET + 4), this.chunkNow));
    if (this.ctx.gate && mine && publisher < this.ctx.plan.publishers) this.ctx.gate.advance(this.index, publisher, tracker.next);
    if (this.ctx.plan.mode === 'sub' && this.ctx.plan.count > 0 && this.received >= this.ctx.plan.count) this.finish();
  }
}
