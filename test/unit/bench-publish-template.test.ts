import type { IPublishPacket, Packet } from 'mqtt-packet';
import { describe, expect, it } from 'vitest';
import { PacketDecoder } from '../../src/core/protocol/codec.js';
import { HEADER_SIZE, isBenchPayload, PUBLISHER_OFFSET, RUN_ID_OFFSET, SEQUENCE_OFFSET, TIME_OFFSET } from '../../src/bench/payload-header.js';
import { PublishTemplate } from '../../src/bench/publish-template.js';

function decode(buf: Buffer, protocolVersion: 4 | 5): IPublishPacket[] {
  const out: Packet[] = [];
  const d = new PacketDecoder({ protocolVersion, onPacket: (p) => out.push(p), onError: (e) => { throw e; } });
  d.push(buf);
  return out as IPublishPacket[];
}

describe('bench publish template', () => {
  for (const version of [4, 5] as const) {
    for (const qos of [0, 1, 2] as const) {
      it(`patches packet id, sequence and time in place (MQTT ${version}, QoS ${qos})`, () => {
        const t = new PublishTemplate('bench/7', qos, 100, version, 0xcafe0001, 7);
        const batch = t.batchBuffer(3);
        t.patch(batch, 0, 41, 1000, 999_999_999, qos ? 65535 : 0);
        t.patch(batch, 1, 42, 1001, 5, qos ? 1 : 0);
        t.patch(batch, 2, 43, 1002, 6, qos ? 2 : 0);
        const packets = decode(batch, version);
        expect(packets).toHaveLength(3);
        packets.forEach((p, i) => {
          expect(p.topic).toBe('bench/7');
          expect(p.qos).toBe(qos);
          if (qos) expect(p.messageId).toBe([65535, 1, 2][i]);
          const pl = p.payload as Buffer;
          expect(pl).toHaveLength(100);
          expect(isBenchPayload(pl, 0, pl.length)).toBe(true);
          expect(pl.readUInt32BE(RUN_ID_OFFSET)).toBe(0xcafe0001);
          expect(pl.readUInt32BE(PUBLISHER_OFFSET)).toBe(7);
          expect(pl.readUInt32BE(SEQUENCE_OFFSET)).toBe(41 + i);
          expect(pl.readUInt32BE(TIME_OFFSET)).toBe(1000 + i);
          expect(pl.subarray(HEADER_SIZE).every((b) => b === 0x2e)).toBe(true);
        });
      });
    }
  }

  it('refuses a payload too small for the header', () => {
    expect(() => new PublishTemplate('t', 0, HEADER_SIZE - 1, 4, 1, 0)).toThrow(/at least 24/);
  });
});
