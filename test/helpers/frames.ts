/**
 * Hand-built MQTT bytes for packets no encoder would write (malformed on purpose): the pieces of
 * section 1.5's data types and a fixed header around them.
 */

import { varint } from '../../scripts/fuzz/fuzz-lib.js';

export { varint };

export const u16 = (n: number): Buffer => Buffer.from([n >> 8, n & 0xff]);
export const str = (s: string | Buffer): Buffer => {
  const b = Buffer.isBuffer(s) ? s : Buffer.from(s);
  return Buffer.concat([u16(b.length), b]);
};

/** A property section: its length, then the bytes given. */
export const props = (...parts: Buffer[]): Buffer => {
  const body = Buffer.concat(parts);
  return Buffer.concat([varint(body.length), body]);
};

/** A whole packet: first byte, Remaining Length, body. */
export function frame(first: number, ...parts: Buffer[]): Buffer {
  const body = Buffer.concat(parts);
  return Buffer.concat([Buffer.from([first]), varint(body.length), body]);
}

export interface ConnectBytes {
  version: 4 | 5;
  clientId: string;
  will?: { topic: string; payload: Buffer; qos?: number; properties?: Buffer };
  /** the CONNECT's own property section (v5), default empty */
  properties?: Buffer;
}

export function connectBytes(c: ConnectBytes): Buffer {
  const v5 = c.version === 5;
  let flags = 0x02;
  if (c.will) flags |= 0x04 | ((c.will.qos ?? 0) << 3);
  const parts = [str('MQTT'), Buffer.from([c.version, flags]), u16(60)];
  if (v5) parts.push(c.properties ?? props());
  parts.push(str(c.clientId));
  if (c.will) {
    if (v5) parts.push(c.will.properties ?? props());
    parts.push(str(c.will.topic), str(c.will.payload));
  }
  return frame(0x10, ...parts);
}

/** PUBLISH with the given flags (QoS in bits 1-2, retain bit 0), topic, id, v5 properties, payload. */
export function publishBytes(p: { qos?: number; retain?: boolean; topic: string; id?: number; properties?: Buffer; payload?: Buffer }): Buffer {
  const qos = p.qos ?? 0;
  const parts = [str(p.topic)];
  if (qos > 0) parts.push(u16(p.id ?? 1));
  if (p.properties) parts.push(p.properties);
  parts.push(p.payload ?? Buffer.alloc(0));
  return frame(0x30 | (qos << 1) | (p.retain ? 1 : 0), ...parts);
}
