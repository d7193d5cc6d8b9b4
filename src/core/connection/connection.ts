import { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import type { ProtocolVersion } from '../protocol/types.js';
import { encodePublishBytes } from '../protocol/publish-encoder.js';
import { encodePacket, PacketDecoder, type DecoderOptions, type Packet } from '../protocol/codec.js';
import type { ProtocolError } from '../protocol/errors.js';

export enum ConnectionState {
  Open = 'open',
  Closing = 'closing',
  Closed = 'closed',
}

export interface ConnectionOptions {
  protocolVersion?: ProtocolVersion;
  /** largest packet we accept (announced to the peer as v5 maximum-packet-size) */
  maxIncomingPacketSize?: number;
  /** a server's connection: decode strictly as packets from a client (DecoderOptions.fromClients) */
  fromClients?: boolean;
  /**
   * What answers a read on this connection (acks, a bridge's next PUBLISH after a PUBACK) is
   * written at the end of that read, not after every other socket's reads of the loop turn: for
   * a connection whose peer waits on it in lock-step (a bridge's window of 20 to its remote: 0.87x
   * -> 0.97x Mosquitto's forwarding rate). Off for the broker's clients, where one write per turn
   * batches better (fan-in QoS 1 lost a fifth of its rate with it on).
   */
  answerEachRead?: boolean;
  /**
   * Told of packets, protocol errors and the close before the events are emitted. A broker holds
   * thousands of mostly idle connections: methods on one owner cost nothing per connection,
   * where three listeners are three closures and their context on each.
   */
  owner?: ConnectionOwner;
}

export interface ConnectionOwner {
  onPacket(packet: Packet): void;
  onProtocolError(err: ProtocolError): void;
  onClose(err?: Error): void;
}

export interface ConnectionEvents {
  packet: [packet: Packet];
  /** a protocol violation by the peer; the connection is already closing */
  'protocol-error': [err: ProtocolError];
  close: [err?: Error];
}

const kConnection = Symbol('mqtt.connection');
type OwnedStream = Duplex & { [kConnection]?: Connection };

// Stream listeners shared by every connection (`this` is the stream), so a connection adds no
// closures to its socket.
function onStreamData(this: OwnedStream, chunk: Buffer): void {
  const conn = this[kConnection]!;
  conn.bytesIn += chunk.length;
  try {
    if (conn.answerEachRead) {
      answeringRead = conn;
      conn.decoder.push(chunk);
      answeringRead = undefined;
      conn.flush();
    } else conn.decoder.push(chunk);
  } catch (err) {
    answeringRead = undefined;
    // thrown inside a socket event, it would end the process: it ends this connection instead
    // (owners catch what their handlers throw; this is for a decoder or owner bug)
    conn.destroy(err as Error);
  }
}
function onStreamError(this: OwnedStream, err: Error): void {
  this[kConnection]!.closeError ??= err;
}
function onStreamClose(this: OwnedStream): void {
  this[kConnection]!.onClosed();
}
function onStreamEnd(this: OwnedStream): void {
  // the peer closed its side: MQTT has no half-open use, finish ours too, after what is still
  // queued (the answer to its last packet)
  this[kConnection]!.flush();
  this.end();
}

/** The decoder's options for a connection: one plain object whose methods find the connection. */
interface ConnectionDecoderOptions extends DecoderOptions {
  conn: Connection;
}
function onDecodedPacket(this: ConnectionDecoderOptions, packet: Packet): void {
  const conn = this.conn;
  // closing because of an earlier packet: nothing after it is acted on
  if (conn.state !== ConnectionState.Open) return;
  conn.owner?.onPacket(packet);
  conn.emit('packet', packet);
}
function onDecodeError(this: ConnectionDecoderOptions, err: ProtocolError): void {
  const conn = this.conn;
  conn.closeError = err;
  conn.owner?.onProtocolError(err);
  conn.emit('protocol-error', err);
  // end, not destroy: whatever the owner queued in answer (CONNACK, DISCONNECT) goes out first
  void conn.end();
}

/**
 * Connections written to since the last flush, flushed together once the event loop has run the
 * I/O callbacks of this turn (setImmediate): the packets that several readable sockets produce
 * for one subscriber (fan-in) then leave in one write instead of one per socket read, and a
 * fan-out costs no closure or tick entry per connection.
 */
// reused turn after turn with a count of its own: `length = 0` would give its backing store back
// and the next turn's first push allocate a new one
const pendingConnections: Array<Connection | undefined> = [];
let pendingCount = 0;
/**
 * The answerEachRead connection whose read is being handled: what it sends meanwhile is written
 * at the end of that read, so it needs no flush scheduled for the end of the turn (the immediate
 * was a twentieth of a bridge's CPU in lock-step with its remote, for nothing to write).
 */
let answeringRead: Connection | undefined;

function scheduleFlush(conn: Connection): void {
  pendingConnections[pendingCount++] = conn;
  if (pendingCount === 1) setImmediate(flushAll);
}

function flushAll(): void {
  // a write made while flushing lands in this same round: the loop reads the count each time
  for (let i = 0; i < pendingCount; i++) {
    const conn = pendingConnections[i]!;
    pendingConnections[i] = undefined;
    conn.flush();
  }
  pendingCount = 0;
}

/** Above this many bytes the queued packets go to the socket as they are instead of being copied into one buffer. */
const COALESCE_LIMIT = 64 * 1024;

/**
 * One MQTT byte stream: decodes incoming packets, encodes outgoing ones, and batches the writes
 * made in one turn of the event loop into one write of one buffer, so streams of small packets
 * do not cost a syscall each, nor the stream's bookkeeping per packet that cork() would keep.
 */
export class Connection extends EventEmitter<ConnectionEvents> {
  state = ConnectionState.Open;
  protocolVersion: ProtocolVersion;
  bytesIn = 0;
  bytesOut = 0;
  /** @internal read by the shared stream listeners */
  readonly decoder: PacketDecoder;
  /** @internal see ConnectionOptions.answerEachRead */
  readonly answerEachRead: boolean;
  /** @internal */
  readonly owner: ConnectionOwner | undefined;
  /** @internal */
  closeError: Error | undefined;
  /** packets queued since the last flush: the first alone, all of them in `outList` once there are two */
  private outFirst: Buffer | undefined;
  private outList: Buffer[] | undefined;
  private outBytes = 0;

  constructor(
    readonly stream: Duplex,
    opts: ConnectionOptions = {},
  ) {
    super();
    this.protocolVersion = opts.protocolVersion ?? 4;
    this.owner = opts.owner;
    this.answerEachRead = opts.answerEachRead === true;
    const decoderOptions: ConnectionDecoderOptions = {
      protocolVersion: opts.protocolVersion,
      maxPacketSize: opts.maxIncomingPacketSize,
      fromClients: opts.fromClients,
      onPacket: onDecodedPacket,
      onError: onDecodeError,
      conn: this,
    };
    this.decoder = new PacketDecoder(decoderOptions);
    (stream as OwnedStream)[kConnection] = this;
    stream.on('data', onStreamData);
    stream.on('error', onStreamError);
    stream.on('close', onStreamClose);
    stream.on('end', onStreamEnd);
  }

  /** Encodes and queues a packet; returns false when the caller should wait for 'drain'. */
  send(packet: Packet): boolean {
    // PUBLISH is the hot packet of every client: the direct encoder skips mqtt-packet's accumulator
    const bytes = packet.cmd === 'publish' ? encodePublishBytes(packet, this.protocolVersion) : encodePacket(packet, this.protocolVersion);
    return this.sendRaw(bytes);
  }

  sendRaw(buf: Buffer): boolean {
    if (this.state === ConnectionState.Closed || this.stream.destroyed) return false;
    this.bytesOut += buf.length;
    if (this.outFirst === undefined) {
      this.outFirst = buf;
      if (answeringRead !== this) scheduleFlush(this);
    } else if (this.outList === undefined) this.outList = [this.outFirst, buf];
    else this.outList.push(buf);
    this.outBytes += buf.length;
    // a burst (one turn's reads can be megabytes: a bridge forwarding a flood) goes out as it
    // grows, so the peer starts on it while we are still reading, rather than all at the turn's end
    if (this.outBytes >= COALESCE_LIMIT) this.flush();
    // what stream.write would answer with everything queued so far
    return this.outBytes + this.stream.writableLength < this.stream.writableHighWaterMark;
  }

  /**
   * Bytes written to this connection that the kernel has not taken yet: what a peer that does not
   * read makes us hold in memory.
   */
  get writeBacklog(): number {
    return this.outBytes + this.stream.writableLength;
  }

  /** @internal Writes what is queued. */
  flush(): void {
    const first = this.outFirst;
    if (first === undefined) return;
    const list = this.outList;
    const bytes = this.outBytes;
    this.outFirst = this.outList = undefined;
    this.outBytes = 0;
    if (this.stream.destroyed) return;
    if (list === undefined) {
      this.stream.write(first);
    } else if (bytes <= COALESCE_LIMIT) {
      this.stream.write(Buffer.concat(list, bytes));
    } else {
      this.stream.cork();
      for (const b of list) this.stream.write(b);
      this.stream.uncork();
    }
  }

  /** Resolves when the stream can take more data. */
  /** True when the caller should wait for drained() before queueing more. */
  needsDrain(): boolean {
    if (this.outBytes >= this.stream.writableHighWaterMark) this.flush();
    return this.stream.writableNeedDrain && this.state !== ConnectionState.Closed;
  }

  drained(): Promise<void> {
    // a caller looping on resolved promises never lets the event loop turn: hand over now
    if (this.outBytes >= this.stream.writableHighWaterMark) this.flush();
    if (!this.stream.writableNeedDrain || this.state === ConnectionState.Closed) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        this.stream.off('drain', done);
        this.off('close', done);
        resolve();
      };
      this.stream.once('drain', done);
      this.once('close', done);
    });
  }

  /**
   * Flushes what is queued, then closes. Nothing more is read from the peer from here on. Called
   * again while closing, it returns the same promise (no further listener or timer). `err`: why,
   * for the close event (a protocol error whose DISCONNECT must still go out first).
   */
  end(err?: Error): Promise<void> {
    if (err) this.closeError ??= err;
    if (this.state === ConnectionState.Closed) return Promise.resolve();
    if (this.ending) return this.ending;
    this.state = ConnectionState.Closing;
    this.decoder.stop();
    this.ending = new Promise((resolve) => {
      this.once('close', () => resolve());
      this.flush();
      this.stream.end();
      // a peer that never closes its side must not keep us waiting
      setTimeout(() => this.stream.destroy(), 2000).unref();
    });
    return this.ending;
  }

  private ending: Promise<void> | undefined;

  /**
   * After end(): resolves once our side is out (the stream's 'finish': every byte, DISCONNECT
   * included, is with the kernel and our FIN follows), or the connection closed, without waiting
   * for the peer to close its side. A one-shot client may exit then, as libmosquitto closes its
   * socket right after writing DISCONNECT: the kernel still delivers what it holds, and the peer
   * reading a backlog of messages no longer holds up our exit (issue 16).
   */
  sent(): Promise<void> {
    if (this.state === ConnectionState.Closed || this.stream.writableFinished || this.stream.destroyed) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        this.stream.off('finish', done);
        this.off('close', done);
        resolve();
      };
      this.stream.once('finish', done);
      this.once('close', done);
    });
  }

  destroy(err?: Error): void {
    if (err) this.closeError ??= err;
    if (this.state === ConnectionState.Open) this.state = ConnectionState.Closing;
    this.decoder.stop();
    this.stream.destroy();
  }

  /** @internal */
  onClosed(): void {
    if (this.state === ConnectionState.Closed) return;
    this.state = ConnectionState.Closed;
    this.owner?.onClose(this.closeError);
    this.emit('close', this.closeError);
  }
}
