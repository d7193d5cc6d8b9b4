import type { Timestamp } from './frame.js';
import type { StreamSink } from './tcp-reassembly.js';

const HTTP_HEADER_LIMIT = 16 * 1024;
const OP_CONTINUATION = 0x0;
const OP_TEXT = 0x1;
const OP_BINARY = 0x2;
const OP_CLOSE = 0x8;

export interface WebSocketEvents {
  /** the HTTP handshake of this direction, as text */
  handshake(header: string, at: Timestamp): void;
  /** a WebSocket frame other than data (close, ping, pong), or the end of decoding */
  note(message: string, at: Timestamp): void;
}

/**
 * One direction of a WebSocket connection (RFC 6455) after its HTTP upgrade: the unmasked payload of
 * data frames goes on to `inner` as one byte stream. MQTT.js splits one MQTT packet over several
 * frames, Mosquitto sends one per frame; treating the payload as a stream handles both. Payload
 * bytes are passed on as they arrive, so a large frame is never buffered whole.
 */
export class WebSocketStreamDecoder implements StreamSink {
  private phase: 'http' | 'frames' | 'lost' = 'http';
  private http: Buffer[] = [];
  private httpBytes = 0;
  private header = Buffer.alloc(0);
  private remaining = 0;
  private mask: Buffer | null = null;
  private maskOffset = 0;
  private opcode = 0;
  /** opcode of the message continuation frames belong to */
  private messageOpcode = 0;

  constructor(
    private readonly inner: StreamSink,
    private readonly events: WebSocketEvents,
  ) {}

  data(bytes: Buffer, at: Timestamp): void {
    if (this.phase === 'http') bytes = this.readHttp(bytes, at);
    if (this.phase === 'frames') this.readFrames(bytes, at);
  }

  gap(bytes: number, at: Timestamp): void {
    if (this.phase === 'lost') return;
    // WebSocket frame boundaries cannot be found again reliably: stop decoding this direction
    this.phase = 'lost';
    this.inner.gap(bytes, at);
    this.events.note('gap in the capture: WebSocket framing lost for the rest of this direction', at);
  }

  private readHttp(bytes: Buffer, at: Timestamp): Buffer {
    this.http.push(Buffer.from(bytes));
    this.httpBytes += bytes.length;
    const all = Buffer.concat(this.http, this.httpBytes);
    const end = all.indexOf('\r\n\r\n');
    if (end < 0) {
      if (this.httpBytes > HTTP_HEADER_LIMIT) this.lose('HTTP header too long', at);
      return Buffer.alloc(0);
    }
    const header = all.subarray(0, end).toString('latin1');
    this.http = [];
    this.events.handshake(header, at);
    if (/^HTTP\/\d\.\d\s+(?!101)/.test(header)) {
      this.lose(`upgrade refused: ${header.split('\r\n')[0]}`, at);
      return Buffer.alloc(0);
    }
    this.phase = 'frames';
    return all.subarray(end + 4);
  }

  private lose(message: string, at: Timestamp): void {
    this.phase = 'lost';
    this.events.note(message, at);
  }

  private readFrames(bytes: Buffer, at: Timestamp): void {
    let offset = 0;
    while (offset < bytes.length && this.phase === 'frames') {
      if (this.remaining > 0) {
        const n = Math.min(this.remaining, bytes.length - offset);
        this.payload(bytes.subarray(offset, offset + n), at);
        this.remaining -= n;
        offset += n;
        if (this.remaining === 0) this.frameDone(at);
        continue;
      }
      offset = this.readHeader(bytes, offset, at);
    }
  }

  /** Accumulates header bytes (2 to 14) from `offset`; returns the new offset. */
  private readHeader(bytes: Buffer, offset: number, at: Timestamp): number {
    const take = Math.min(14 - this.header.length, bytes.length - offset);
    const h = Buffer.concat([this.header, bytes.subarray(offset, offset + take)]);
    if (h.length < 2) {
      this.header = h;
      return offset + take;
    }
    const masked = (h[1]! & 0x80) !== 0;
    const len7 = h[1]! & 0x7f;
    const extLen = len7 === 126 ? 2 : len7 === 127 ? 8 : 0;
    const need = 2 + extLen + (masked ? 4 : 0);
    if (h.length < need) {
      this.header = h;
      return offset + take;
    }
    const used = need - this.header.length;
    this.header = Buffer.alloc(0);
    this.opcode = h[0]! & 0x0f;
    const length = extLen === 0 ? len7 : extLen === 2 ? h.readUInt16BE(2) : Number(h.readBigUInt64BE(2));
    this.mask = masked ? Buffer.from(h.subarray(2 + extLen, need)) : null;
    this.maskOffset = 0;
    if (this.opcode === OP_TEXT || this.opcode === OP_BINARY) this.messageOpcode = this.opcode;
    this.remaining = length;
    if (length === 0) this.frameDone(at);
    return offset + used;
  }

  private isData(): boolean {
    return this.opcode === OP_BINARY || this.opcode === OP_TEXT || (this.opcode === OP_CONTINUATION && this.messageOpcode !== 0);
  }

  private payload(chunk: Buffer, at: Timestamp): void {
    if (!this.isData()) return;
    if (this.mask) {
      const out = Buffer.allocUnsafe(chunk.length);
      for (let i = 0; i < chunk.length; i++) out[i] = chunk[i]! ^ this.mask[(this.maskOffset + i) & 3]!;
      this.maskOffset = (this.maskOffset + chunk.length) & 3;
      chunk = out;
    }
    this.inner.data(chunk, at);
  }

  private frameDone(at: Timestamp): void {
    if (this.opcode === OP_CLOSE) this.events.note('WebSocket close frame', at);
  }
}
