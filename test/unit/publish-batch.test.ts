import { describe, expect, it } from 'vitest';
import { encodePublish } from '../../src/core/protocol/publish-encoder.js';
import { Qos0PublishBatcher } from '../../src/core/protocol/publish-batch.js';
import { PacketDecoder } from '../../src/core/protocol/codec.js';

describe('Qos0PublishBatcher: the frames pub -l sends for a chunk of lines', () => {
  const payloads = [Buffer.alloc(0), Buffer.from('x'), Buffer.alloc(127, 1), Buffer.alloc(200, 2), Buffer.alloc(20_000, 3), Buffer.from([0, 0xff, 0x0d])];
  for (const version of [3, 4, 5] as const) {
    for (const retain of [false, true]) {
      for (const topic of ['t', 'sensors/temp', 'ünïcode/topic', 'x'.repeat(300)]) {
        it(`v${version}, retain ${retain}, topic of ${topic.length} characters: the bytes encodePublish makes, back to back`, () => {
          const batcher = new Qos0PublishBatcher(topic, retain, version);
          const expected = Buffer.concat(payloads.map((payload) => encodePublish({ cmd: 'publish', topic, payload, qos: 0, retain, dup: false }, version).bytes));
          expect(batcher.encode(payloads).equals(expected)).toBe(true);
        });
      }
    }
  }

  it('decodes back into the same messages', () => {
    const batcher = new Qos0PublishBatcher('a/b', false, 5);
    const seen: Buffer[] = [];
    const decoder = new PacketDecoder({ protocolVersion: 5, onPacket: (p) => p.cmd === 'publish' && seen.push(Buffer.from(p.payload as Buffer)), onError: (e) => { throw e; } });
    decoder.push(batcher.encode(payloads));
    expect(seen).toEqual(payloads);
  });

  it('says when a payload does not fit one packet (268,435,455 bytes of remaining length)', () => {
    const batcher = new Qos0PublishBatcher('t', false, 4);
    expect(batcher.fits(Buffer.alloc(10))).toBe(true);
    expect(batcher.fits({ length: 268_435_455 } as Buffer)).toBe(false);
  });
});
