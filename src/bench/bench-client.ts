import type { Duplex } from 'node:stream';
import type { Packet } from 'mqtt-packet';
import { encodePacket, frameLength, PacketDecoder } from '../core/protocol/codec.js';
import { mosquittoConnackString, mosquittoReasonString } from '../core/protocol/reason-codes.js';
import { openTransport } from '../core/transport/open.js';
import type { BenchTarget } from './plan.js';

/** A handshake that failed, with a short reason used as the key of the error tally. */
export class BenchConnectError extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'BenchConnectError';
  }
}

/** A PUBLISH as it lies in the receive buffer: nothing is copied or decoded beyond this. */
export interface RawPublish {
  buf: Buffer;
  payloadStart: number;
  payloadEnd: number;
  qos: number;
  packetId: number;
}

export interface BenchClientHandlers {
  onPublish?(p: RawPublish): void;
  /** PUBACK (4), PUBREC (5), PUBREL (6), PUBCOMP (7); reason is 0 unless a v5 peer said otherwise */
  onAck?(type: number, packetId: number, reason: number): void;
  /** called once per chunk read, after its packets: a natural point to flush batched replies */
  onChunkDone?(): void;
  /** everything else (SUBACK, DISCONNECT …), decoded by the shared codec */
  onPacket?(packet: Packet): void;
  onClose?(err: Error | undefined): void;
}

const PINGREQ = Buffer.from([0xc0, 0x00]);

/**
 * A minimal MQTT connection for load generation. The full MqttClient allocates a packet object,
 * a promise and a map entry per message; here PUBLISH and the four acks are read straight from
 * the socket buffer (they are most of the traffic), and everything else goes through the shared
 * PacketDecoder, so the codec's checks still apply to the rare packets.
 */
export class BenchClient {
  stream: Duplex | undefined;
  handlers: BenchClientHandlers = {};
  /** told when the connection closes without us asking, whatever the role's handlers are */
  onLost: ((err: Error) => void) | undefined;
  closedByUs = false;
  closed = false;
  /** v5 CONNACK Receive Maximum: QoS 1/2 messages the broker lets us have unacknowledged */
  receiveMaximum = 65535;
  /**
   * The bytes of an unfinished frame, as they came: joined once the frame is whole, not with every
   * chunk (which copied everything pending again each time: quadratic on large payloads).
   */
  private pending: Buffer[] | undefined;
  private pendingBytes = 0;
  /** the whole size of the unfinished frame once its header has arrived; 0 while unknown */
  private pendingNeed = 0;
  private decoder: PacketDecoder;
  private pingTimer: NodeJS.Timeout | undefined;
  private closeError: Error | undefined;
  private closeReported = false;
  /** acks to send, gathered while a chunk is read and written as one buffer after it */
  private acks: Buffer | undefined;
  private acksLength = 0;

  constructor(
    readonly target: BenchTarget,
    readonly clientId: string,
    private readonly bindAddress: string | undefined,
  ) {
    this.decoder = this.newDecoder();
  }

  /** TCP (or TLS, WebSocket) then CONNECT, resolving on a successful CONNACK. */
  async connect(): Promise<void> {
    const t = this.target;
    const deadline = new Promise<never>((_, reject) => {
      const timer = setTimeout(() => reject(new BenchConnectError('timed out')), t.connectTimeoutMs);
      timer.unref();
    });
    const opening = openTransport({ endpoint: t.endpoint, tls: t.tls, bindAddress: this.bindAddress, nodelay: t.nodelay, wsPath: t.wsPath });
    // a transport that opens after the deadline is closed, not leaked
    opening.then((s) => this.closed && s.destroy(), () => {});
    let stream: Duplex;
    try {
      stream = await Promise.race([opening, deadline]);
    } catch (err) {
      this.closed = true;
      throw err instanceof BenchConnectError ? err : new BenchConnectError((err as Error).message.replace(/\.$/, ''));
    }
    this.stream = stream;
    const connack = new Promise<void>((resolve, reject) => {
      this.handlers.onPacket = (packet) => {
        if (packet.cmd !== 'connack') return reject(new BenchConnectError(`${packet.cmd.toUpperCase()} before CONNACK`));
        const code = t.protocolVersion === 5 ? (packet.reasonCode ?? 0) : (packet.returnCode ?? 0);
        if (code === 0) {
          this.receiveMaximum = packet.properties?.receiveMaximum ?? 65535;
          return resolve();
        }
        const text = t.protocolVersion === 5 ? mosquittoReasonString(code) : mosquittoConnackString(code).replace(/\.$/, '');
        reject(new BenchConnectError(text));
      };
      this.handlers.onClose = (err) => reject(new BenchConnectError(err ? err.message.replace(/\.$/, '') : 'closed before CONNACK'));
    });
    stream.on('data', (chunk: Buffer) => this.onData(chunk));
    stream.on('error', (err) => void (this.closeError ??= err));
    stream.on('close', () => this.onClosed());
    stream.on('end', () => stream.writableEnded || stream.end());
    this.send(
      encodePacket(
        {
          cmd: 'connect',
          protocolId: t.protocolVersion === 3 ? 'MQIsdp' : 'MQTT',
          protocolVersion: t.protocolVersion,
          clientId: this.clientId,
          clean: true,
          keepalive: t.keepalive,
          ...(t.username !== undefined ? { username: t.username } : {}),
          ...(t.password !== undefined ? { password: Buffer.from(t.password) } : {}),
        },
        t.protocolVersion,
      ),
    );
    try {
      await Promise.race([connack, deadline]);
    } catch (err) {
      this.destroy();
      throw err;
    }
    this.handlers = {};
    if (t.keepalive > 0) {
      // unconditional pings are simpler than idle tracking and cost nothing at bench rates
      this.pingTimer = setInterval(() => this.send(PINGREQ), t.keepalive * 750);
      this.pingTimer.unref();
    }
  }

  /** Queues bytes; false means the socket buffer is full and the caller should wait for drain. */
  send(buf: Buffer, done?: () => void): boolean {
    const s = this.stream;
    if (!s || this.closed || s.destroyed) return false;
    return s.write(buf, done);
  }

  /** Queues a 4-byte ack (PUBACK 0x40, PUBREC 0x50, PUBREL 0x62, PUBCOMP 0x70): sent after the current chunk. */
  queueAck(firstByte: number, packetId: number): void {
    if (!this.acks || this.acksLength + 4 > this.acks.length) {
      const bigger = Buffer.allocUnsafe(Math.max(256, (this.acks?.length ?? 0) * 2));
      if (this.acks) this.acks.copy(bigger, 0, 0, this.acksLength);
      this.acks = bigger;
    }
    const b = this.acks;
    const i = this.acksLength;
    b[i] = firstByte;
    b[i + 1] = 2;
    b[i + 2] = packetId >> 8;
    b[i + 3] = packetId & 0xff;
    this.acksLength += 4;
  }

  private flushAcks(): void {
    if (this.acksLength === 0) return;
    // copied out: the socket may hold on to what it is given until it is flushed
    this.send(Buffer.from(this.acks!.subarray(0, this.acksLength)));
    this.acksLength = 0;
  }

  get writable(): boolean {
    return !!this.stream && !this.closed && !this.stream.writableNeedDrain;
  }

  onceDrain(fn: () => void): void {
    this.stream?.once('drain', fn);
  }

  /** DISCONNECT, then close; resolves once the socket is gone (or after a short grace). */
  disconnect(): Promise<void> {
    const s = this.stream;
    if (!s || this.closed) return Promise.resolve();
    this.closedByUs = true;
    return new Promise((resolve) => {
      s.once('close', () => resolve());
      s.end(Buffer.from([0xe0, 0x00]));
      setTimeout(() => s.destroy(), 1000).unref();
    });
  }

  destroy(): void {
    this.closedByUs = true;
    this.closed = true;
    this.stream?.destroy();
    clearInterval(this.pingTimer);
  }

  private onClosed(): void {
    if (this.closeReported) return;
    this.closeReported = true;
    this.closed = true;
    clearInterval(this.pingTimer);
    const err = this.closedByUs ? undefined : (this.closeError ?? new Error('connection closed by the broker'));
    if (err) this.onLost?.(err);
    this.handlers.onClose?.(err);
  }

  private onData(chunk: Buffer): void {
    let buf = chunk;
    if (this.pending) {
      this.pending.push(chunk);
      this.pendingBytes += chunk.length;
      if (this.pendingBytes < this.pendingNeed) {
        this.handlers.onChunkDone?.();
        return;
      }
      buf = Buffer.concat(this.pending, this.pendingBytes);
      this.pending = undefined;
    }
    let offset = 0;
    let size = 0;
    while (offset < buf.length) {
      size = frameLength(buf, offset);
      if (size === -1 || (size > 0 && offset + size > buf.length)) break;
      if (size === -2) {
        this.protocolError('malformed Remaining Length');
        return;
      }
      if (!this.dispatch(buf, offset, size)) return;
      offset += size;
    }
    if (offset < buf.length) {
      this.pending = [buf.subarray(offset)];
      this.pendingBytes = buf.length - offset;
      this.pendingNeed = size > 0 ? size : 0;
    }
    this.flushAcks();
    this.handlers.onChunkDone?.();
  }

  /** Reads one whole frame; returns false when the connection was closed because of it. */
  private dispatch(buf: Buffer, start: number, size: number): boolean {
    const first = buf[start]!;
    const type = first >> 4;
    const end = start + size;
    let pos = start + 1;
    while (buf[pos]! & 0x80) pos++;
    pos++; // past the Remaining Length
    if (type === 3) {
      const qos = (first >> 1) & 3;
      if (qos === 3 || pos + 2 > end) return this.protocolError('malformed PUBLISH');
      pos += 2 + buf.readUInt16BE(pos);
      let packetId = 0;
      if (qos > 0) {
        if (pos + 2 > end) return this.protocolError('malformed PUBLISH');
        packetId = buf.readUInt16BE(pos);
        pos += 2;
      }
      if (this.target.protocolVersion === 5) {
        const props = readVarint(buf, pos, end);
        if (props < 0) return this.protocolError('malformed PUBLISH properties');
        pos = props;
      }
      if (pos > end) return this.protocolError('malformed PUBLISH');
      this.handlers.onPublish?.({ buf, payloadStart: pos, payloadEnd: end, qos, packetId });
      return true;
    }
    if (type >= 4 && type <= 7 && end - pos >= 2) {
      // a v5 ack may add a reason code (and properties) after the packet id
      const reason = end - pos > 2 ? buf[pos + 2]! : 0;
      this.handlers.onAck?.(type, buf.readUInt16BE(pos), reason);
      return true;
    }
    this.decoder.push(buf.subarray(start, end));
    return !this.decoder.broken;
  }

  private protocolError(message: string): false {
    this.closeError = new Error(message);
    this.closed = true;
    this.onClosed();
    this.stream?.destroy();
    return false;
  }

  private newDecoder(): PacketDecoder {
    return new PacketDecoder({
      protocolVersion: this.target.protocolVersion,
      onPacket: (packet) => {
        if (packet.cmd === 'pingresp') return;
        this.handlers.onPacket?.(packet);
      },
      onError: (err) => this.protocolError(err.message),
    });
  }
}

/** Position after a v5 property block (varint length + properties), or -1 when malformed. */
function readVarint(buf: Buffer, pos: number, end: number): number {
  let value = 0;
  let mult = 1;
  for (let i = 0; i < 4; i++) {
    if (pos >= end) return -1;
    const b = buf[pos++]!;
    value += (b & 0x7f) * mult;
    if ((b & 0x80) === 0) return pos + value;
    mult *= 128;
  }
  return -1;
}
