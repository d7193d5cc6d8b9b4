/**
 * Fields read straight from a packet's bytes, without the codec: for packets the codec rejects
 * (tshark still shows their id and topic, and so do we) and for checks that need the bytes the codec
 * has already turned into a string (UTF-8 validity of a topic).
 */
export interface RawFields {
  headerLength: number;
  id?: number;
  /** PUBLISH only */
  topic?: Buffer;
  payloadLength?: number;
}

/** Packet types whose variable header starts with a Packet Identifier. */
const ID_FIRST = new Set([4, 5, 6, 7, 8, 9, 10, 11]);

function headerLength(raw: Buffer): number {
  let i = 1;
  while (i < raw.length && i <= 4 && raw[i]! & 0x80) i++;
  return i + 1;
}

/** Reads a v5 Variable Byte Integer at `at`; [value, bytes] or null. */
function varint(raw: Buffer, at: number): [number, number] | null {
  let value = 0;
  for (let i = 0; i < 4 && at + i < raw.length; i++) {
    value += (raw[at + i]! & 0x7f) * 128 ** i;
    if ((raw[at + i]! & 0x80) === 0) return [value, i + 1];
  }
  return null;
}

export function rawFields(raw: Buffer, version: number): RawFields {
  const type = raw[0]! >> 4;
  const h = headerLength(raw);
  const f: RawFields = { headerLength: h };
  if (ID_FIRST.has(type)) {
    if (raw.length >= h + 2) f.id = raw.readUInt16BE(h);
    return f;
  }
  if (type !== 3 || raw.length < h + 2) return f;
  const topicLen = raw.readUInt16BE(h);
  let at = h + 2 + topicLen;
  if (at > raw.length) return f;
  f.topic = raw.subarray(h + 2, at);
  // QoS 3 is malformed, but its bytes are laid out as for QoS 1 and 2
  if ((raw[0]! >> 1) & 3) {
    if (at + 2 > raw.length) return f;
    f.id = raw.readUInt16BE(at);
    at += 2;
  }
  if (version === 5) {
    const props = varint(raw, at);
    if (!props) return f;
    at += props[1] + props[0];
  }
  if (at <= raw.length) f.payloadLength = raw.length - at;
  return f;
}
