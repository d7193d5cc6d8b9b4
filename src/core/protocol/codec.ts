import mqttPacket, { type Packet } from 'mqtt-packet';
import type { ProtocolVersion } from '../../client/config.js';
import { MALFORMED_PACKET, PACKET_TOO_LARGE, ProtocolError } from './errors.js';

export type { Packet };

/** The largest Remaining Length a varint can carry (268,435,455): MQTT's own packet size cap. */
export const MAX_REMAINING_LENGTH = 268_435_455;

/**
 * Encodes one packet for the given protocol version.
 * mqtt-packet reads the version from its options, not from the packet, and silently drops v5
 * properties when it is missing; `generate` throws on an invalid packet (where `writeToStream`
 * would destroy the socket), so the caller gets a ProtocolError and decides.
 */
export function encodePacket(packet: Packet, protocolVersion: ProtocolVersion): Buffer {
  try {
    return mqttPacket.generate(packet, { protocolVersion });
  } catch (err) {
    throw new ProtocolError(`cannot encode ${packet.cmd.toUpperCase()}: ${(err as Error).message}`, MALFORMED_PACKET);
  }
}

export interface DecoderOptions {
  /** undefined on a server before CONNECT: mqtt-packet learns it from the CONNECT itself */
  protocolVersion?: ProtocolVersion;
  /** refuse a packet whose announced size exceeds this, before buffering its body */
  maxPacketSize?: number;
  onPacket: (packet: Packet, size: number) => void;
  onError: (err: ProtocolError) => void;
}

/**
 * Splits a byte stream into MQTT packets and parses them with mqtt-packet.
 * We frame packets ourselves so the announced size is checked as soon as the fixed header is
 * complete (mqtt-packet would buffer a 256 MB body first), and so that a parse error stops the
 * stream for good: after one, the decoder ignores everything (the owner closes the connection).
 */
export class PacketDecoder {
  private readonly parser: ReturnType<typeof mqttPacket.parser>;
  private pending: Buffer | null = null;
  private failed = false;
  private lastSize = 0;

  constructor(private readonly opts: DecoderOptions) {
    this.parser = mqttPacket.parser(opts.protocolVersion ? { protocolVersion: opts.protocolVersion } : {});
    this.parser.on('packet', (packet: Packet) => {
      if (!this.failed) opts.onPacket(packet, this.lastSize);
    });
    this.parser.on('error', (err: Error) => this.fail(new ProtocolError(err.message, MALFORMED_PACKET)));
  }

  /** For a client that learns the version late (never needed when given up front). */
  setProtocolVersion(version: ProtocolVersion): void {
    (this.parser as unknown as { settings: { protocolVersion?: number } }).settings.protocolVersion = version;
  }

  get broken(): boolean {
    return this.failed;
  }

  push(chunk: Buffer): void {
    if (this.failed) return;
    let buf = this.pending ? Buffer.concat([this.pending, chunk]) : chunk;
    this.pending = null;
    let offset = 0;
    while (offset < buf.length && !this.failed) {
      const frame = frameLength(buf, offset);
      if (frame === -1) break; // fixed header incomplete
      if (frame === -2) return this.fail(new ProtocolError('malformed Remaining Length', MALFORMED_PACKET));
      const max = this.opts.maxPacketSize;
      if (max !== undefined && frame > max) {
        return this.fail(new ProtocolError(`packet of ${frame} bytes exceeds the maximum packet size ${max}`, PACKET_TOO_LARGE));
      }
      if (offset + frame > buf.length) break;
      this.lastSize = frame;
      this.parser.parse(buf.subarray(offset, offset + frame));
      offset += frame;
    }
    if (offset < buf.length && !this.failed) this.pending = Buffer.from(buf.subarray(offset));
    buf = Buffer.alloc(0);
  }

  private fail(err: ProtocolError): void {
    if (this.failed) return;
    this.failed = true;
    this.pending = null;
    this.opts.onError(err);
  }
}

/**
 * Whole size (fixed header + body) of the packet starting at `offset`, -1 when the fixed header
 * is not complete yet, -2 when the Remaining Length varint is longer than 4 bytes [MQTT-1.5.5-1].
 */
export function frameLength(buf: Buffer, offset: number): number {
  let multiplier = 1;
  let value = 0;
  for (let i = 1; i <= 4; i++) {
    if (offset + i >= buf.length) return -1;
    const byte = buf[offset + i]!;
    value += (byte & 0x7f) * multiplier;
    if ((byte & 0x80) === 0) return 1 + i + value;
    multiplier *= 128;
  }
  return -2;
}
