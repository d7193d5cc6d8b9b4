import type { ProtocolVersion, QoS } from '../core/protocol/types.js';
import { encodePacket } from '../core/protocol/codec.js';
import { HEADER_SIZE, SEQUENCE_OFFSET, TIME_OFFSET, writeHeader } from './payload-header.js';

/**
 * One PUBLISH encoded once by the shared codec, copied into batch buffers, and then only patched
 * in place (packet id, sequence number, send time) for each message: encoding through
 * mqtt-packet per message would cost more CPU than the broker spends on it.
 */
export class PublishTemplate {
  readonly frame: Buffer;
  readonly frameSize: number;
  /** where the packet id sits in a frame (QoS 1/2 only) */
  readonly packetIdOffset: number;
  readonly payloadOffset: number;

  constructor(topic: string, qos: QoS, payloadSize: number, protocolVersion: ProtocolVersion, runId: number, publisher: number) {
    if (payloadSize < HEADER_SIZE) throw new Error(`payload size must be at least ${HEADER_SIZE} bytes (the bench header)`);
    const payload = Buffer.alloc(payloadSize, 0x2e); // '.' after the header: readable in a capture
    writeHeader(payload, 0, runId, publisher);
    this.frame = encodePacket(
      { cmd: 'publish', topic, payload, qos, retain: false, dup: false, ...(qos > 0 ? { messageId: 1 } : {}) },
      protocolVersion,
    );
    this.frameSize = this.frame.length;
    this.payloadOffset = this.frameSize - payloadSize;
    let fixedHeader = 1;
    while (this.frame[fixedHeader]! & 0x80) fixedHeader++;
    this.packetIdOffset = fixedHeader + 1 + 2 + Buffer.byteLength(topic);
  }

  /** A buffer holding `slots` copies of the frame, ready to be patched. */
  batchBuffer(slots: number): Buffer {
    const buf = Buffer.allocUnsafe(this.frameSize * slots);
    for (let i = 0; i < slots; i++) this.frame.copy(buf, i * this.frameSize);
    return buf;
  }

  /** Patches the message in `slot` of a batch buffer. */
  patch(buf: Buffer, slot: number, seq: number, sec: number, nsec: number, packetId: number): void {
    const base = slot * this.frameSize;
    if (packetId) buf.writeUInt16BE(packetId, base + this.packetIdOffset);
    const p = base + this.payloadOffset;
    buf.writeUInt32BE(seq >>> 0, p + SEQUENCE_OFFSET);
    buf.writeUInt32BE(sec >>> 0, p + TIME_OFFSET);
    buf.writeUInt32BE(nsec, p + TIME_OFFSET + 4);
  }
}
