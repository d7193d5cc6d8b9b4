import type { Packet } from 'mqtt-packet';
import { describe, expect, it } from 'vitest';
import { encodePacket, frameLength, PacketDecoder } from '../../src/core/protocol/codec.js';
import { ProtocolError } from '../../src/core/protocol/errors.js';
import type { ProtocolVersion } from '../../src/core/protocol/types.js';

interface Golden {
  name: string;
  version: ProtocolVersion;
  packet: Packet;
  hex: string;
}

// Exact bytes from the spec's encoding rules (and cross-checked against Mosquitto captures).
const GOLDEN: Golden[] = [
  {
    name: 'CONNECT 3.1.1 clean, keepalive 60, id "a"',
    version: 4,
    packet: { cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, keepalive: 60, clientId: 'a' },
    hex: '100d00044d5154540402003c000161',
  },
  {
    name: 'CONNECT 3.1 (MQIsdp)',
    version: 3,
    packet: { cmd: 'connect', protocolId: 'MQIsdp', protocolVersion: 3, clean: true, keepalive: 10, clientId: 'x' },
    hex: '100f' + '00064d5149736470' + '03' + '02' + '000a' + '0001' + '78',
  },
  {
    name: 'CONNECT 5 with session expiry',
    version: 5,
    packet: {
      cmd: 'connect',
      protocolId: 'MQTT',
      protocolVersion: 5,
      clean: true,
      keepalive: 60,
      clientId: 'a',
      properties: { sessionExpiryInterval: 30 },
    },
    hex: '101300044d5154540502003c05110000001e000161',
  },
  {
    name: 'CONNACK 3.1.1 accepted, session present',
    version: 4,
    packet: { cmd: 'connack', sessionPresent: true, returnCode: 0 },
    hex: '20020100',
  },
  {
    name: 'CONNACK 5 not authorized',
    version: 5,
    packet: { cmd: 'connack', sessionPresent: false, reasonCode: 0x87 },
    hex: '2003008700',
  },
  {
    name: '[MQTT-3.3.1-4] PUBLISH QoS 0 has no packet id',
    version: 4,
    packet: { cmd: 'publish', topic: 'a/b', payload: Buffer.from('hi'), qos: 0, dup: false, retain: false },
    hex: '3007' + '0003612f62' + '6869',
  },
  {
    name: 'PUBLISH QoS 1 retained, id 10',
    version: 4,
    packet: { cmd: 'publish', topic: 't', payload: Buffer.from('x'), qos: 1, dup: false, retain: true, messageId: 10 },
    hex: '3306' + '000174' + '000a' + '78',
  },
  {
    name: 'PUBLISH 5 QoS 2 dup with topic alias and user property',
    version: 5,
    packet: {
      cmd: 'publish',
      topic: 't',
      payload: Buffer.from('x'),
      qos: 2,
      dup: true,
      retain: false,
      messageId: 1,
      properties: { topicAlias: 3, userProperties: { k: 'v' } },
    },
    hex: '3c11' + '000174' + '0001' + '0a' + '230003' + '2600016b000176' + '78',
  },
  { name: 'PUBACK 3.1.1', version: 4, packet: { cmd: 'puback', messageId: 258 }, hex: '40020102' },
  {
    name: 'PUBACK 5 no matching subscribers',
    version: 5,
    packet: { cmd: 'puback', messageId: 1, reasonCode: 0x10 },
    // the short form Mosquitto sends: no property length [MQTT-3.4.2-1]
    hex: '4003000110',
  },
  { name: '[MQTT-3.6.1-1] PUBREL has flags 0010', version: 4, packet: { cmd: 'pubrel', messageId: 7 }, hex: '62020007' },
  {
    name: '[MQTT-3.8.1-1] SUBSCRIBE has flags 0010',
    version: 4,
    packet: { cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'a/#', qos: 1 }] },
    hex: '8208' + '0001' + '0003612f23' + '01',
  },
  {
    name: 'SUBSCRIBE 5 with no-local, retain-as-published, retain handling 2',
    version: 5,
    packet: { cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'a', qos: 1, nl: true, rap: true, rh: 2 }] },
    hex: '8207' + '0001' + '00' + '000161' + '2d',
  },
  { name: 'SUBACK 3.1.1 with a failure', version: 4, packet: { cmd: 'suback', messageId: 1, granted: [0, 0x80] }, hex: '9004' + '0001' + '0080' },
  {
    name: 'UNSUBSCRIBE 3.1.1',
    version: 4,
    packet: { cmd: 'unsubscribe', messageId: 2, unsubscriptions: ['a'] },
    hex: 'a205' + '0002' + '000161',
  },
  { name: 'PINGREQ', version: 4, packet: { cmd: 'pingreq' }, hex: 'c000' },
  { name: 'PINGRESP', version: 4, packet: { cmd: 'pingresp' }, hex: 'd000' },
  { name: 'DISCONNECT 3.1.1', version: 4, packet: { cmd: 'disconnect' }, hex: 'e000' },
  {
    name: 'DISCONNECT 5 with will (0x04)',
    version: 5,
    packet: { cmd: 'disconnect', reasonCode: 4 },
    hex: 'e00104',
  },
  // the shortest v5 forms, as Mosquitto sends them: MQTT 5 sections 3.14.2.1 and 3.14.2.2.1
  { name: 'DISCONNECT 5 normal', version: 5, packet: { cmd: 'disconnect' }, hex: 'e000' },
  { name: 'DISCONNECT 5 with a reason code', version: 5, packet: { cmd: 'disconnect', reasonCode: 0x8e }, hex: 'e0018e' },
];

function decodeAll(buf: Buffer, version: ProtocolVersion, chunkSize = buf.length): Packet[] {
  const out: Packet[] = [];
  const dec = new PacketDecoder({
    protocolVersion: version,
    onPacket: (p) => out.push(p),
    onError: (e) => {
      throw e;
    },
  });
  for (let i = 0; i < buf.length; i += chunkSize) dec.push(buf.subarray(i, i + chunkSize));
  return out;
}

/** Only the fields the golden row names (mqtt-packet adds length, dup… on parse). */
function pick(actual: Packet, expected: Packet): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(expected)) out[k] = (actual as unknown as Record<string, unknown>)[k];
  return out;
}

describe('codec golden table', () => {
  for (const g of GOLDEN) {
    describe(g.name, () => {
      const bytes = Buffer.from(g.hex, 'hex');
      it('encodes to the exact bytes', () => {
        expect(encodePacket(g.packet, g.version).toString('hex')).toBe(g.hex);
      });
      it('parses the bytes to the packet', () => {
        const [p] = decodeAll(bytes, g.version);
        expect(pick(p!, g.packet)).toEqual(g.packet);
      });
      it('round-trips and parses byte by byte from a stream', () => {
        const [p] = decodeAll(Buffer.concat([bytes, bytes]), g.version, 1).slice(1);
        expect(encodePacket(p!, g.version).toString('hex')).toBe(g.hex);
      });
    });
  }
});

describe('PacketDecoder', () => {
  it('reads a 3.1 PUBREL resent with DUP (0x6A) as a PUBREL; 3.1.1 refuses those flags [MQTT-3.6.1-1]', () => {
    const [p] = decodeAll(Buffer.from('6a020001', 'hex'), 3);
    expect(p).toMatchObject({ cmd: 'pubrel', messageId: 1 });
    const errors: ProtocolError[] = [];
    const dec = new PacketDecoder({ protocolVersion: 4, onPacket: () => {}, onError: (e) => errors.push(e) });
    dec.push(Buffer.from('6a020001', 'hex'));
    expect(errors).toHaveLength(1);
  });

  it('[MQTT-3.4.2-1] parses the short v5 PUBACK without property length (as Mosquitto sends it)', () => {
    const [p] = decodeAll(Buffer.from('4003000110', 'hex'), 5);
    expect(p).toMatchObject({ cmd: 'puback', messageId: 1, reasonCode: 0x10 });
  });

  it('parses the 2-byte v5 PUBACK meaning success', () => {
    const [p] = decodeAll(Buffer.from('40020001', 'hex'), 5);
    expect(p).toMatchObject({ cmd: 'puback', messageId: 1 });
    expect((p as { reasonCode?: number }).reasonCode ?? 0).toBe(0);
  });

  it('[MQTT-1.5.5-1] rejects a Remaining Length longer than four bytes', () => {
    const errors: ProtocolError[] = [];
    const dec = new PacketDecoder({ protocolVersion: 4, onPacket: () => {}, onError: (e) => errors.push(e) });
    dec.push(Buffer.from('30ffffffff7f', 'hex'));
    expect(errors).toHaveLength(1);
    expect(errors[0]!.reasonCode).toBe(0x81);
  });

  it('refuses an oversized packet from its fixed header alone, before the body arrives', () => {
    const errors: ProtocolError[] = [];
    const dec = new PacketDecoder({ protocolVersion: 5, maxPacketSize: 1024, onPacket: () => {}, onError: (e) => errors.push(e) });
    dec.push(Buffer.from([0x30, 0xff, 0xff, 0xff, 0x7f])); // announces 256 MB
    expect(errors.map((e) => e.reasonCode)).toEqual([0x95]);
  });

  it('[MQTT-2.2.2-2] a reserved flag violation is an error, and nothing is parsed after it', () => {
    const packets: Packet[] = [];
    const errors: ProtocolError[] = [];
    const dec = new PacketDecoder({ protocolVersion: 4, onPacket: (p) => packets.push(p), onError: (e) => errors.push(e) });
    dec.push(Buffer.from('6002000' + '7' + 'c000', 'hex')); // PUBREL with flags 0000, then PINGREQ
    expect(errors).toHaveLength(1);
    expect(packets).toHaveLength(0);
    dec.push(Buffer.from('c000', 'hex'));
    expect(packets).toHaveLength(0);
  });

  it('random bytes never escape the decoder as an exception', () => {
    let seed = 12345;
    const rand = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
    for (let round = 0; round < 2000; round++) {
      const len = Math.floor(rand() * 64);
      const buf = Buffer.alloc(len);
      for (let i = 0; i < len; i++) buf[i] = Math.floor(rand() * 256);
      for (const version of [4, 5] as const) {
        const dec = new PacketDecoder({ protocolVersion: version, onPacket: () => {}, onError: () => {} });
        expect(() => dec.push(buf)).not.toThrow();
      }
    }
  });

  it('frameLength reports incomplete headers', () => {
    expect(frameLength(Buffer.from([0x30]), 0)).toBe(-1);
    expect(frameLength(Buffer.from([0x30, 0x80]), 0)).toBe(-1);
    expect(frameLength(Buffer.from([0x30, 0x80, 0x01]), 0)).toBe(3 + 128);
  });

  it('encodePacket turns an invalid packet into a ProtocolError instead of throwing raw', () => {
    expect(() => encodePacket({ cmd: 'publish', topic: 'a', payload: Buffer.alloc(0), qos: 1, dup: false, retain: false }, 4)).toThrow(ProtocolError);
  });
});
