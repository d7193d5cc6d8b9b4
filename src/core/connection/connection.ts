import { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import type { ProtocolVersion } from '../../client/config.js';
import { encodePacket, PacketDecoder, type Packet } from '../protocol/codec.js';
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
}

export interface ConnectionEvents {
  packet: [packet: Packet];
  /** a protocol violation by the peer; the connection is already closing */
  'protocol-error': [err: ProtocolError];
  close: [err?: Error];
}

/**
 * One MQTT byte stream: decodes incoming packets, encodes outgoing ones, and batches the writes
 * made in one tick into one syscall (cork until the next tick) so streams of small packets do
 * not cost a write each.
 */
export class Connection extends EventEmitter<ConnectionEvents> {
  state = ConnectionState.Open;
  protocolVersion: ProtocolVersion;
  bytesIn = 0;
  bytesOut = 0;
  private readonly decoder: PacketDecoder;
  private corked = false;
  private closeError: Error | undefined;

  constructor(
    readonly stream: Duplex,
    opts: ConnectionOptions = {},
  ) {
    super();
    this.protocolVersion = opts.protocolVersion ?? 4;
    this.decoder = new PacketDecoder({
      protocolVersion: opts.protocolVersion,
      maxPacketSize: opts.maxIncomingPacketSize,
      onPacket: (packet) => this.emit('packet', packet),
      onError: (err) => {
        this.closeError = err;
        this.emit('protocol-error', err);
        // end, not destroy: whatever the owner queued in answer (CONNACK, DISCONNECT) goes out first
        void this.end();
      },
    });
    stream.on('data', (chunk: Buffer) => {
      this.bytesIn += chunk.length;
      this.decoder.push(chunk);
    });
    stream.on('error', (err) => {
      this.closeError ??= err;
    });
    stream.on('close', () => this.onClosed());
    stream.on('end', () => {
      // the peer closed its side: MQTT has no half-open use, finish ours too
      stream.end();
    });
  }

  /** Encodes and queues a packet; returns false when the caller should wait for 'drain'. */
  send(packet: Packet): boolean {
    return this.sendRaw(encodePacket(packet, this.protocolVersion));
  }

  sendRaw(buf: Buffer): boolean {
    if (this.state === ConnectionState.Closed || this.stream.destroyed) return false;
    if (!this.corked) {
      this.corked = true;
      this.stream.cork();
      process.nextTick(() => {
        this.corked = false;
        this.stream.uncork();
      });
    }
    this.bytesOut += buf.length;
    return this.stream.write(buf);
  }

  /** Resolves when the stream can take more data. */
  drained(): Promise<void> {
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

  /** Flushes what is queued, then closes. */
  end(): Promise<void> {
    if (this.state === ConnectionState.Closed) return Promise.resolve();
    this.state = ConnectionState.Closing;
    return new Promise((resolve) => {
      this.once('close', () => resolve());
      if (this.corked) {
        this.corked = false;
        this.stream.uncork();
      }
      this.stream.end();
      // a peer that never closes its side must not keep us waiting
      setTimeout(() => this.stream.destroy(), 2000).unref();
    });
  }

  destroy(err?: Error): void {
    if (err) this.closeError ??= err;
    this.stream.destroy();
  }

  private onClosed(): void {
    if (this.state === ConnectionState.Closed) return;
    this.state = ConnectionState.Closed;
    this.emit('close', this.closeError);
  }
}
