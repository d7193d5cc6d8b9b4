import type { Packet } from 'mqtt-packet';
import { describe, expect, it } from 'vitest';
import { PacketDecoder } from '../../src/core/protocol/codec.js';
import { checkClientFrame } from '../../src/core/protocol/frame-check.js';
import { prng, seeds } from '../../scripts/fuzz/fuzz-lib.js';
import { connectBytes, frame, props, publishBytes, str, u16 } from '../helpers/frames.js';

const code = (bytes: Buffer, version = 5) => checkClientFrame(bytes, version)?.reasonCode;

/** What a server's decoder makes of a byte stream pushed in chunks of `size`. */
function serverDecode(bytes: Buffer, version: 4 | 5 | undefined, size = bytes.length) {
  const packets: Packet[] = [];
  const errors: number[] = [];
  const dec = new PacketDecoder({ protocolVersion: version, fromClients: true, onPacket: (p) => packets.push(p), onError: (e) => errors.push(e.reasonCode) });
  for (let i = 0; i < bytes.length; i += size) dec.push(bytes.subarray(i, i + size));
  return { packets, errors };
}

describe('checkClientFrame: a client packet walked strictly', () => {
  it('every valid packet a client sends passes, 3.1.1 and 5', () => {
    for (const version of [4, 5] as const) for (const s of seeds(version, 'x')) expect(checkClientFrame(s.bytes, version), s.name).toBeUndefined();
  });

  it('a string or property running past the packet (or its property section) is malformed 0x81', () => {
    expect(code(connectBytes({ version: 5, clientId: 'c', will: { topic: 't', payload: Buffer.from('p'), properties: props(Buffer.from([0x26, 0xff, 0xff, 0x61])) } }))).toBe(0x81);
    expect(code(publishBytes({ topic: 't', properties: props(Buffer.from([0x03, 0x00, 0x05, 0x61])), payload: Buffer.from('long enough payload') }))).toBe(0x81);
    expect(code(publishBytes({ topic: 't', properties: Buffer.from([0x09]) }))).toBe(0x81); // section longer than the packet
    expect(code(frame(0x30, u16(9), Buffer.from('t')), 4)).toBe(0x81);
  });

  it('unknown, misplaced, overlong-varint properties are malformed; repeats and bad values are protocol errors 0x82', () => {
    expect(code(publishBytes({ topic: 't', properties: props(Buffer.from([0x7f, 0])) }))).toBe(0x81);
    expect(code(publishBytes({ topic: 't', properties: props(Buffer.from([0x11, 0, 0, 0, 1])) }))).toBe(0x81); // session expiry in PUBLISH
    expect(code(publishBytes({ topic: 't', properties: props(Buffer.from([0x01, 1, 0x01, 1])) }))).toBe(0x82);
    expect(code(frame(0x82, u16(1), props(Buffer.from([0x0b, 0x80, 0x00])), str('t'), Buffer.from([0])))).toBe(0x81); // overlong varint
    expect(code(frame(0x82, u16(1), props(Buffer.from([0x0b, 0])), str('t'), Buffer.from([0])))).toBe(0x82); // subscription identifier 0
    expect(code(connectBytes({ version: 5, clientId: 'c', properties: props(Buffer.from([0x21, 0, 0])) }))).toBe(0x82); // receive maximum 0
    expect(code(connectBytes({ version: 5, clientId: 'c', properties: props(Buffer.from([0x17, 2])) }))).toBe(0x82);
    const up = Buffer.concat([Buffer.from([0x26]), str('k'), str('v')]);
    expect(code(publishBytes({ topic: 't', properties: props(up, up) }))).toBeUndefined();
  });

  it('[MQTT-1.5.4-1] [MQTT-1.5.4-2] ill-formed UTF-8, U+0000 and (as Mosquitto) control characters are malformed', () => {
    for (const bad of [[0xc0, 0x80], [0xed, 0xa0, 0x80], [0xf0, 0x9f, 0x98], [0x00], [0x01], [0xc2, 0x85]]) {
      expect(code(frame(0x30, str(Buffer.from([0x61, ...bad]))), 4), Buffer.from(bad).toString('hex')).toBe(0x81);
    }
    expect(code(frame(0x30, str('é/€/😀')), 4)).toBeUndefined();
  });

  it('[MQTT-2.2.1-3] packet identifiers: QoS > 0 PUBLISH without one is malformed, 0 is a protocol error', () => {
    expect(code(frame(0x32, str('t')), 4)).toBe(0x81);
    expect(code(frame(0x34, str('t'), u16(0)), 4)).toBe(0x82);
    expect(code(frame(0x40, u16(0)), 4)).toBe(0x82);
    expect(code(frame(0x82, u16(0), str('t'), Buffer.from([0])), 4)).toBe(0x81);
  });

  it('[MQTT-4.7.1-2] [MQTT-4.7.1-3] [MQTT-4.7.3-1] SUBSCRIBE and UNSUBSCRIBE filters: misplaced wildcards and empty filters are malformed', () => {
    for (const f of ['a/#/b', 'a+', '#a', '']) {
      expect(code(frame(0x82, u16(1), str(f), Buffer.from([0])), 4), f).toBe(0x81);
      expect(code(frame(0xa2, u16(1), props(), str(f))), f).toBe(0x81);
    }
    for (const f of ['#', '+/+/#', '$share/g/a/#', 'a//b']) expect(code(frame(0x82, u16(1), str(f), Buffer.from([0])), 4), f).toBeUndefined();
  });

  it('surplus bytes after a CONNECT or a DISCONNECT are malformed', () => {
    // the body of a small CONNECT (one Remaining Length byte) and one byte more
    expect(code(frame(0x10, connectBytes({ version: 4, clientId: 'c' }).subarray(2), Buffer.from([0])), 4)).toBe(0x81);
    expect(code(frame(0xe0, Buffer.from([0])), 4)).toBe(0x81);
    expect(code(frame(0xe0, Buffer.from([0]), props(), Buffer.from([0])))).toBe(0x81);
  });
});

describe('PacketDecoder for a server', () => {
  it('the fast paths hand the general path what they cannot vouch for: the same packets, the same errors', () => {
    const connect = connectBytes({ version: 4, clientId: 'c' });
    const stream = Buffer.concat([connect, publishBytes({ topic: 'é', payload: Buffer.from('x') }), publishBytes({ qos: 1, id: 0, topic: 'a' })]);
    for (const size of [1, 3, stream.length]) {
      const { packets, errors } = serverDecode(stream, undefined, size);
      expect(packets.map((p) => p.cmd)).toEqual(['connect', 'publish']);
      expect(errors).toEqual([0x82]);
    }
  });

  it('a large packet in many chunks is joined once, not per chunk', () => {
    const big = publishBytes({ topic: 'big', payload: Buffer.alloc(8 * 1024 * 1024, 1) });
    const concat = Buffer.concat;
    let copied = 0;
    Buffer.concat = ((list: Uint8Array[], total?: number) => {
      const out = concat(list, total);
      copied += out.length;
      return out;
    }) as typeof Buffer.concat;
    try {
      const { packets } = serverDecode(Buffer.concat([connectBytes({ version: 4, clientId: 'c' }), big]), undefined, 16 * 1024);
      expect(packets.map((p) => p.cmd)).toEqual(['connect', 'publish']);
    } finally {
      Buffer.concat = concat;
    }
    // the test's own concat above counts once; the decoder adds one join of the packet
    expect(copied).toBeLessThan(3 * big.length);
  });

  it('random bytes and mutated packets never escape the decoder as an exception', () => {
    const rnd = prng(42);
    for (let i = 0; i < 3000; i++) {
      const s = seeds(i % 2 ? 5 : 4, 'r')[i % 12]!;
      const b = Buffer.from(s.bytes);
      for (let k = 0; k < 3; k++) b[Math.floor(rnd() * b.length)] = Math.floor(rnd() * 256);
      const stream = s.isConnect ? b : Buffer.concat([connectBytes({ version: s.version, clientId: 'c' }), b]);
      expect(() => serverDecode(stream, undefined, 1 + Math.floor(rnd() * 7))).not.toThrow();
    }
  });
});

