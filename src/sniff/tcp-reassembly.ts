import { secondsBetween, type Timestamp } from './frame.js';

/** Where one direction of a TCP connection delivers its bytes, in sequence order. */
export interface StreamSink {
  /** `bytes` may be a view into a capture buffer: copy what is kept past the call */
  data(bytes: Buffer, at: Timestamp): void;
  /** `bytes` bytes of the stream were never captured (or were given up on); the next data follows them */
  gap(bytes: number, at: Timestamp): void;
}

interface Held {
  at: Timestamp;
  seq: number;
  data: Buffer;
  missing: number;
  fin: boolean;
}

/** Signed distance a - b in 32-bit sequence space. */
function seqDiff(a: number, b: number): number {
  return (a - b) | 0;
}

// How much out-of-order data to hold while waiting for a hole to fill before declaring it lost:
// enough for real reordering, small enough that a lost segment in a live capture is reported soon.
const MAX_HELD_SEGMENTS = 512;
const MAX_HELD_BYTES = 4 * 1024 * 1024;
// A retransmission fills a real hole within a few RTOs; a hole older than this was not captured.
const MAX_HOLD_SECONDS = 3;

/**
 * One direction of a TCP connection: drops retransmitted bytes (lo re-sends final segments even
 * without loss), holds early segments until the hole before them fills, and reports holes that never
 * fill as gaps instead of splicing unrelated bytes together.
 */
export class DirectionReassembler {
  /** next sequence number expected; undefined until the first segment (captures may start mid-stream) */
  private next: number | undefined;
  private held: Held[] = [];
  private heldBytes = 0;
  retransmittedSegments = 0;
  retransmittedBytes = 0;
  gapBytes = 0;
  /** holes in the stream: places where bytes were sent that the capture does not hold */
  gaps = 0;
  finished = false;

  constructor(private readonly sink: StreamSink) {}

  get started(): boolean {
    return this.next !== undefined;
  }

  /** The sequence number the next new byte will carry (for connection tracking). */
  get nextSeq(): number | undefined {
    return this.next;
  }

  syn(seq: number): void {
    this.next = (seq + 1) >>> 0;
  }

  segment(seq: number, payload: Buffer, missing: number, fin: boolean, at: Timestamp): void {
    const len = payload.length + missing;
    if (len === 0 && !fin) return;
    if (this.next === undefined) this.next = seq;
    let offset = seqDiff(seq, this.next);
    if (offset + len + (fin ? 1 : 0) <= 0) {
      if (len > 0) {
        this.retransmittedSegments++;
        this.retransmittedBytes += len;
      }
      return;
    }
    if (offset < 0) {
      // part retransmission, part new data: keep only the new part
      const cut = -offset;
      if (cut <= payload.length) payload = payload.subarray(cut);
      else {
        missing -= cut - payload.length;
        payload = payload.subarray(payload.length);
      }
      this.retransmittedBytes += cut;
      seq = this.next;
      offset = 0;
    }
    if (offset > 0) {
      this.hold({ at, seq, data: Buffer.from(payload), missing, fin });
      const stale = secondsBetween(this.held[0]!.at, at) > MAX_HOLD_SECONDS;
      if (stale || this.held.length > MAX_HELD_SEGMENTS || this.heldBytes > MAX_HELD_BYTES) this.skipToHeld(at);
      return;
    }
    this.deliver(payload, missing, fin, at);
    this.drain(at);
  }

  /**
   * The receiver acknowledged up to `ack`: bytes before it that we have not seen were sent and
   * received, so they will never be retransmitted — report them as a gap now ("ACKed unseen segment").
   * Only while later data is held: that proves a hole, where an ACK merely captured before its data
   * (possible on "any") does not.
   */
  acknowledged(ack: number, at: Timestamp): void {
    const first = this.held[0];
    if (this.next === undefined || this.finished || !first || seqDiff(ack, this.next) <= 0) return;
    const upTo = seqDiff(first.seq, ack) < 0 ? first.seq : ack;
    const hole = seqDiff(upTo, this.next);
    if (hole <= 0) return;
    this.gapBytes += hole;
    this.gaps++;
    this.sink.gap(hole, at);
    this.next = upTo;
    this.drain(at);
  }

  /** End of capture or connection reset: what is still held is delivered after gaps. */
  flush(at: Timestamp): void {
    while (this.held.length > 0) this.skipToHeld(at);
  }

  private deliver(payload: Buffer, missing: number, fin: boolean, at: Timestamp): void {
    if (this.finished) return;
    if (payload.length > 0) this.sink.data(payload, at);
    if (missing > 0) {
      this.gapBytes += missing;
      this.gaps++;
      this.sink.gap(missing, at);
    }
    this.next = (this.next! + payload.length + missing + (fin ? 1 : 0)) >>> 0;
    if (fin) this.finished = true;
  }

  private hold(seg: Held): void {
    const i = this.held.findIndex((h) => seqDiff(h.seq, seg.seq) >= 0);
    const same = i >= 0 && this.held[i]!.seq === seg.seq;
    if (same) {
      const old = this.held[i]!;
      this.retransmittedSegments++;
      if (old.data.length + old.missing >= seg.data.length + seg.missing) return;
      this.heldBytes -= old.data.length;
      this.held[i] = seg;
    } else if (i < 0) this.held.push(seg);
    else this.held.splice(i, 0, seg);
    this.heldBytes += seg.data.length;
  }

  /** Delivers held segments that now start at or before the next expected byte. */
  private drain(at: Timestamp): void {
    while (this.held.length > 0 && !this.finished) {
      const h = this.held[0]!;
      const offset = seqDiff(h.seq, this.next!);
      if (offset > 0) return;
      this.held.shift();
      this.heldBytes -= h.data.length;
      const len = h.data.length + h.missing;
      if (offset + len + (h.fin ? 1 : 0) <= 0) {
        this.retransmittedSegments++;
        continue;
      }
      const cut = -offset;
      const data = cut <= h.data.length ? h.data.subarray(cut) : h.data.subarray(h.data.length);
      const missing = cut <= h.data.length ? h.missing : h.missing - (cut - h.data.length);
      this.deliver(data, missing, h.fin, at);
    }
  }

  private skipToHeld(at: Timestamp): void {
    const first = this.held[0];
    if (!first) return;
    const hole = seqDiff(first.seq, this.next!);
    if (hole > 0) {
      this.gapBytes += hole;
      this.gaps++;
      this.sink.gap(hole, at);
      this.next = first.seq;
    }
    this.drain(at);
  }
}
