import type { ProtocolVersion } from '../core/protocol/types.js';
import { decodeFast, frameLength, PacketDecoder, type Packet } from '../core/protocol/codec.js';
import type { Timestamp } from './frame.js';
import { isPlausibleFirstByte, isPlausibleFrameSize } from './mqtt-header.js';
import type { StreamSink } from './tcp-reassembly.js';

export interface MqttStreamEvents {
  /** one whole MQTT packet: `packet` is null when the codec rejected it (`error` says why) */
  packet(raw: Buffer, packet: Packet | null, error: string | null, at: Timestamp): void;
  /** stream bytes that could not be framed as MQTT (after a gap, or a corrupt fixed header) */
  skipped(bytes: number, reason: string, at: Timestamp): void;
}

/**
 * One direction of an MQTT connection as a byte stream: frames packets with the codec's
 * `frameLength`, decodes each whole frame with a PacketDecoder (which owns mqtt-packet's quirks) and
 * keeps the frame bytes for the checker. A body the codec rejects is reported and skipped by its
 * length, since framing is still intact; a gap or a corrupt fixed header loses the packet
 * boundaries, and decoding resumes only at a segment start where whole, decodable packets follow.
 */
export class MqttStreamDecoder implements StreamSink {
  private decoder: PacketDecoder;
  private version: ProtocolVersion | undefined;
  /** whether `decoder` decodes as v5 now: it learns the version from every CONNECT it decodes */
  private decoderIsV5 = false;
  private chunks: Buffer[] = [];
  private buffered = 0;
  /** bytes needed before the buffered chunks are worth joining (0: unknown, join at once) */
  private needed = 0;
  private inSync: boolean;
  /** why the stream is out of sync, for the skipped-bytes report */
  private lostReason = 'capture started inside the stream: looking for a packet boundary';
  /** what the decoder's callbacks said about the frame being decoded (fields, not an object per packet) */
  private currentPacket: Packet | null = null;
  private currentError: string | null = null;

  constructor(
    private readonly events: MqttStreamEvents,
    version: ProtocolVersion | undefined,
    /** false when the capture may start mid-packet (no SYN seen) */
    startsAtPacket: boolean,
  ) {
    this.version = version;
    this.decoder = this.newDecoder();
    this.inSync = startsAtPacket;
  }

  get protocolVersion(): ProtocolVersion | undefined {
    return this.version;
  }

  setProtocolVersion(version: ProtocolVersion): void {
    this.version = version;
    this.decoder.setProtocolVersion(version);
    this.decoderIsV5 = version === 5;
  }

  /** Bytes of an unfinished packet still waiting for the rest. */
  get pendingBytes(): number {
    return this.buffered;
  }

  data(bytes: Buffer, at: Timestamp): void {
    if (!this.inSync) {
      this.resync(bytes, at);
      return;
    }
    if (this.needed > 0 && this.buffered + bytes.length > this.needed) {
      // the packet begun earlier ends inside this segment: join only its own bytes, not the whole
      // segment, and go on with the rest of the segment where it lies
      const take = this.needed - this.buffered;
      this.chunks.push(bytes.subarray(0, take));
      const head = Buffer.concat(this.chunks, this.needed);
      this.chunks = [];
      this.buffered = 0;
      this.needed = 0;
      this.consume(head, at);
      this.data(bytes.subarray(take), at);
      return;
    }
    this.chunks.push(bytes);
    this.buffered += bytes.length;
    if (this.buffered < this.needed) {
      // keep a copy: `bytes` may be a view into a buffer the capture source reuses
      this.chunks[this.chunks.length - 1] = Buffer.from(bytes);
      return;
    }
    const buf = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.buffered);
    this.chunks = [];
    this.buffered = 0;
    this.needed = 0;
    this.consume(buf, at);
  }

  gap(_bytes: number, at: Timestamp): void {
    const lost = this.buffered;
    this.chunks = [];
    this.buffered = 0;
    this.needed = 0;
    if (this.inSync && lost > 0) this.events.skipped(lost, 'unfinished packet before a gap in the capture', at);
    this.inSync = false;
    this.lostReason = 'after a gap in the capture: looking for a packet boundary';
  }

  /** End of the stream: an unfinished packet is reported, not invented. */
  end(at: Timestamp): void {
    if (this.buffered > 0) this.events.skipped(this.buffered, 'unfinished packet at the end of the stream', at);
    this.chunks = [];
    this.buffered = 0;
  }

  private newDecoder(): PacketDecoder {
    this.decoderIsV5 = this.version === 5;
    return new PacketDecoder({
      protocolVersion: this.version,
      onPacket: (packet) => {
        this.currentPacket = packet;
      },
      onError: (err) => {
        this.currentError = err.message;
      },
    });
  }

  /**
   * Decodes one whole frame into currentPacket/currentError (currentError set whenever currentPacket
   * is null); a failed decoder is replaced, since PacketDecoder stops for good.
   */
  private decodeFrame(frame: Buffer): void {
    this.currentPacket = null;
    this.currentError = null;
    this.decoder.push(frame);
    const packet = this.currentPacket as Packet | null;
    if (this.currentError !== null || packet === null) {
      this.currentError ??= 'packet not fully decoded';
      this.decoder = this.newDecoder();
    } else if (packet.cmd === 'connect') {
      const version = (packet as { protocolVersion?: ProtocolVersion }).protocolVersion;
      this.decoderIsV5 = version === 5;
      if (this.version === undefined) this.version = version;
    }
  }

  private consume(buf: Buffer, at: Timestamp): void {
    let offset = 0;
    while (offset < buf.length) {
      const size = frameLength(buf, offset);
      if (size === -1) break;
      if (size === -2) {
        this.loseSync(buf.length - offset, 'malformed Remaining Length (more than 4 bytes)', at);
        return;
      }
      if (offset + size > buf.length) {
        this.needed = size;
        break;
      }
      const frame = buf.subarray(offset, offset + size);
      // PUBLISH and the 2-byte acks straight from the codec's fast decoder (what PacketDecoder
      // would try first anyway), without a push and a callback per packet
      const fast = decodeFast(buf, offset, size, this.decoderIsV5);
      if (fast !== undefined) this.events.packet(frame, fast, null, at);
      else {
        this.decodeFrame(frame);
        this.events.packet(frame, this.currentPacket, this.currentError, at);
      }
      offset += size;
    }
    if (offset < buf.length) {
      this.chunks = [Buffer.from(buf.subarray(offset))];
      this.buffered = buf.length - offset;
    }
  }

  private loseSync(bytes: number, reason: string, at: Timestamp): void {
    this.events.skipped(bytes, reason, at);
    this.chunks = [];
    this.buffered = 0;
    this.needed = 0;
    this.inSync = false;
    this.lostReason = `after a corrupt fixed header: looking for a packet boundary`;
  }

  /**
   * Tries to pick the stream up at the start of this segment: senders usually start a write with a
   * packet, so a segment that holds only whole, decodable packets (the last may run on) is trusted.
   * Anything less is skipped rather than risk inventing packets from payload bytes.
   */
  private resync(bytes: Buffer, at: Timestamp): void {
    const frames: Buffer[] = [];
    let offset = 0;
    while (offset < bytes.length) {
      const first = bytes[offset]!;
      const size = frameLength(bytes, offset);
      if (!isPlausibleFirstByte(first) || size === -2) return this.skip(bytes.length, at);
      if (size === -1 || offset + size > bytes.length) break;
      if (!isPlausibleFrameSize(first, size)) return this.skip(bytes.length, at);
      frames.push(bytes.subarray(offset, offset + size));
      offset += size;
    }
    if (frames.length === 0) return this.skip(bytes.length, at);
    // decode all before reporting any, so a candidate that fails leaves no invented packets
    const packets: Packet[] = [];
    for (const f of frames) {
      this.decodeFrame(f);
      if (this.currentPacket === null) return this.skip(bytes.length, at);
      packets.push(this.currentPacket);
    }
    this.inSync = true;
    frames.forEach((f, i) => this.events.packet(f, packets[i]!, null, at));
    if (offset < bytes.length) this.consume(bytes.subarray(offset), at);
  }

  private skip(bytes: number, at: Timestamp): void {
    this.events.skipped(bytes, this.lostReason, at);
  }
}
