import type { IPublishPacket } from 'mqtt-packet';
import { describe, expect, it } from 'vitest';
import { encodePacket } from '../../src/core/protocol/codec.js';
import { encodePublish, withPacketId } from '../../src/core/protocol/publish-encoder.js';

const cases: Array<[string, IPublishPacket]> = [
  ['QoS 0', { cmd: 'publish', topic: 'a/b', payload: Buffer.from('hello'), qos: 0, retain: false, dup: false }],
  ['QoS 1 retained', { cmd: 'publish', topic: 'x', payload: Buffer.from('y'), qos: 1, retain: true, dup: false, messageId: 513 }],
  ['QoS 2 dup, unicode topic', { cmd: 'publish', topic: 'tö/π', payload: Buffer.alloc(0), qos: 2, retain: false, dup: true, messageId: 65535 }],
  ['200-byte payload (2-byte varint)', { cmd: 'publish', topic: 't', payload: Buffer.alloc(200, 7), qos: 0, retain: false, dup: false }],
  ['20,000-byte payload (3-byte varint)', { cmd: 'publish', topic: 't', payload: Buffer.alloc(20_000, 1), qos: 1, retain: false, dup: false, messageId: 9 }],
  ['v5 with properties', { cmd: 'publish', topic: 't', payload: Buffer.from('p'), qos: 1, retain: false, dup: false, messageId: 3, properties: { contentType: 'text/plain', userProperties: { a: 'b' } } }],
];

describe('encodePublish (fast path) matches mqtt-packet byte for byte', () => {
  for (const version of [4, 5] as const) {
    for (const [name, packet] of cases) {
      it(`v${version} ${name}`, () => {
        const frame = encodePublish(packet, version);
        expect(frame.bytes.toString('hex')).toBe(encodePacket(packet, version).toString('hex'));
        if (packet.qos > 0) expect(frame.bytes.readUInt16BE(frame.packetIdOffset)).toBe(packet.messageId);
      });
    }
  }

  it('withPacketId patches the id and DUP into a copy, leaving the shared frame alone', () => {
    const frame = encodePublish({ cmd: 'publish', topic: 'a', payload: Buffer.from('z'), qos: 1, retain: false, dup: false, messageId: 0 }, 4);
    const copy = withPacketId(frame, 77, true);
    const expected = encodePacket({ cmd: 'publish', topic: 'a', payload: Buffer.from('z'), qos: 1, retain: false, dup: true, messageId: 77 }, 4);
    expect(copy.toString('hex')).toBe(expected.toString('hex'));
    expect(frame.bytes.readUInt16BE(frame.packetIdOffset)).toBe(0);
  });
});
