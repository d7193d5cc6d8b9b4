import type { IPublishPacket } from 'mqtt-packet';
import type { ProtocolVersion } from './types.js';
import { encodePacket, MAX_REMAINING_LENGTH } from './codec.js';
import { ProtocolError } from './errors.js';

export interface PublishFrame {
  bytes: Buffer;
  /** where the 2-byte packet id sits (QoS > 0), so a shared frame can be copied and patched */
  packetIdOffset: number;
}

/**
 * PUBLISH is the hot packet of a broker and of bench: encode it directly (one allocation, no
 * stream accumulator) when it carries no v5 properties; otherwise defer to mqtt-packet.
 * The bytes are identical to mqtt-packet's (checked in tests).
 */
export function encodePublish(packet: IPublishPacket, version: ProtocolVersion): PublishFrame {
  const bytes = encodePublishBytes(packet, version);
  return { bytes, packetIdOffset: packet.qos > 0 ? findPacketIdOffset(bytes) : -1 };
}

/** encodePublish's bytes alone: a connection writing a PUBLISH needs no more (no frame object per message). */
export function encodePublishBytes(packet: IPublishPacket, version: ProtocolVersion): Buffer {
  const props = packet.properties;
  if (props && Object.keys(props).length > 0) return encodePacket(packet, version);
  const topic = packet.topic;
  const ascii = isShortAscii(topic);
  const topicLen = ascii ? topic.length : Buffer.byteLength(topic);
  const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
  const idLen = packet.qos > 0 ? 2 : 0;
  const remaining = 2 + topicLen + idLen + (version === 5 ? 1 : 0) + payload.length;
  if (remaining > MAX_REMAINING_LENGTH) throw new ProtocolError('PUBLISH too large to encode', 0x95);
  const varLen = varintLength(remaining);
  const bytes = Buffer.allocUnsafe(1 + varLen + remaining);
  bytes[0] = 0x30 | (packet.dup ? 0x08 : 0) | (packet.qos << 1) | (packet.retain ? 1 : 0);
  let pos = writeVarint(bytes, 1, remaining);
  bytes[pos] = topicLen >> 8;
  bytes[pos + 1] = topicLen & 0xff;
  pos += 2;
  if (ascii) {
    for (let i = 0; i < topicLen; i++) bytes[pos + i] = topic.charCodeAt(i);
    pos += topicLen;
  } else pos += bytes.write(topic, pos, 'utf8');
  if (idLen) {
    bytes.writeUInt16BE(packet.messageId ?? 0, pos);
    pos += 2;
  }
  if (version === 5) bytes[pos++] = 0;
  payload.copy(bytes, pos);
  return bytes;
}

/** A copy of a shared QoS > 0 frame with this subscriber's packet id (and DUP as asked). */
export function withPacketId(frame: PublishFrame, messageId: number, dup = false): Buffer {
  const copy = Buffer.allocUnsafe(frame.bytes.length);
  frame.bytes.copy(copy);
  copy.writeUInt16BE(messageId, frame.packetIdOffset);
  if (dup) copy[0] = copy[0]! | 0x08;
  return copy;
}

/**
 * Short ASCII topics, nearly all of them, are copied by a loop: measuring and writing them through
 * Buffer's UTF-8 routines cost two native calls per message.
 */
function isShortAscii(s: string): boolean {
  if (s.length > 64) return false;
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false;
  return true;
}

export function varintLength(n: number): number {
  return n < 128 ? 1 : n < 16_384 ? 2 : n < 2_097_152 ? 3 : 4;
}

function writeVarint(buf: Buffer, pos: number, n: number): number {
  do {
    let byte = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) byte |= 0x80;
    buf[pos++] = byte;
  } while (n > 0);
  return pos;
}

function findPacketIdOffset(bytes: Buffer): number {
  let pos = 1;
  while (bytes[pos]! & 0x80) pos++;
  pos++;
  return pos + 2 + bytes.readUInt16BE(pos);
}
