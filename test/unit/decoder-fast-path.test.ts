import mqttPacket, { type Packet } from 'mqtt-packet';
import { describe, expect, it } from 'vitest';
import type { ProtocolVersion } from '../../src/core/protocol/types.js';
import { decodeConnect311, decodeFast, encodePacket, PacketDecoder } from '../../src/core/protocol/codec.js';
import { encodePublish } from '../../src/core/protocol/publish-encoder.js';
import { ProtocolErrorKind, type ProtocolError } from '../../src/core/protocol/errors.js';

/** What a private mqtt-packet parser makes of one frame: the reference the fast path must match. */
function reference(frame: Buffer, version: ProtocolVersion): { packet?: Packet; error?: string } {
  const parser = mqttPacket.parser({ protocolVersion: version });
  const out: { packet?: Packet; error?: string } = {};
  parser.on('packet', (p: Packet) => (out.packet ??= p));
  parser.on('error', (e: Error) => (out.error ??= e.message));
  parser.parse(frame);
  return out;
}

function decodeAll(bytes: Buffer, version: ProtocolVersion | undefined, chunkSize = bytes.length) {
  const packets: Packet[] = [];
  const errors: string[] = [];
  const dec = new PacketDecoder({ protocolVersion: version, onPacket: (p) => packets.push(p), onError: (e) => errors.push(e.message) });
  for (let i = 0; i < bytes.length; i += chunkSize) dec.push(bytes.subarray(i, i + chunkSize));
  return { packets, errors };
}

/** Plain data for comparison: mqtt-packet's Packet class and our literals differ only in prototype. */
const plain = (p: Packet | undefined) => (p ? JSON.parse(JSON.stringify(p)) : p);

const GOLDEN: Array<{ name: string; version: ProtocolVersion; hex: string; fast: boolean }> = [
  { name: 'PUBLISH QoS 0 "a/b" "hi"', version: 4, hex: '3007' + '0003612f62' + '6869', fast: true },
  { name: 'PUBLISH QoS 1 retained id 10', version: 4, hex: '3306' + '000174' + '000a' + '78', fast: true },
  { name: 'PUBLISH QoS 2 dup id 65535', version: 4, hex: '3c06' + '000174' + 'ffff' + '78', fast: true },
  { name: 'PUBLISH QoS 0 empty payload', version: 4, hex: '3003' + '000174', fast: true },
  { name: 'PUBLISH empty topic (v5 alias form), no properties', version: 5, hex: '3003' + '0000' + '00', fast: true },
  { name: 'PUBLISH UTF-8 topic "é/ü"', version: 4, hex: '3008' + '0005c3a92fc3bc' + '21', fast: true },
  { name: 'PUBLISH 5 QoS 1 without properties', version: 5, hex: '3207' + '000174' + '0001' + '00' + '78', fast: true },
  { name: 'PUBLISH 5 with a topic alias: general path', version: 5, hex: '3008' + '000174' + '03' + '230001' + '78', fast: false },
  { name: 'PUBLISH QoS 3: general path (and its error)', version: 4, hex: '3605' + '000174' + '0001', fast: false },
  { name: 'PUBLISH QoS 1 cut before its packet id: general path', version: 4, hex: '3203' + '000174', fast: false },
  { name: 'PUBLISH topic longer than the packet: general path', version: 4, hex: '3004' + '000974' + '78', fast: false },
  { name: 'PUBACK', version: 4, hex: '40020102', fast: true },
  { name: 'PUBACK 5, 2 bytes: reason 0', version: 5, hex: '40020001', fast: true },
  { name: 'PUBACK 5 with reason 0x10: general path', version: 5, hex: '4003000110', fast: false },
  { name: 'PUBREC', version: 4, hex: '50020007', fast: true },
  { name: 'PUBREL flags 0010', version: 4, hex: '62020007', fast: true },
  { name: 'PUBREL flags 0000: general path (and its error)', version: 4, hex: '60020007', fast: false },
  { name: 'PUBCOMP', version: 5, hex: '70020007', fast: true },
  { name: 'PUBCOMP with flags: general path (and its error)', version: 4, hex: '71020007', fast: false },
  { name: 'PINGREQ: general path', version: 4, hex: 'c000', fast: false },
];

describe('decoder fast path: the same packets as mqtt-packet', () => {
  for (const g of GOLDEN) {
    it(g.name, () => {
      const frame = Buffer.from(g.hex, 'hex');
      expect(decodeFast(frame, 0, frame.length, g.version === 5) !== undefined).toBe(g.fast);
      const ref = reference(frame, g.version);
      const ours = decodeAll(frame, g.version);
      if (ref.error) {
        expect(ours.errors).toEqual([ref.error]);
        expect(ours.packets).toEqual([]);
      } else {
        expect(ours.errors).toEqual([]);
        expect(plain(ours.packets[0])).toEqual(plain(ref.packet));
        // the same fields in the same order, so handlers see one object shape
        expect(Object.keys(ours.packets[0]!)).toEqual(Object.keys(ref.packet!));
      }
    });
  }

  it('a payload of 300 bytes (two-byte Remaining Length) at an offset inside a larger chunk', () => {
    const packet = { cmd: 'publish', topic: 't/x', payload: Buffer.alloc(300, 7), qos: 1, dup: false, retain: false, messageId: 9 } as const;
    const frame = encodePacket(packet, 4);
    const chunk = Buffer.concat([Buffer.from('40020001', 'hex'), frame]);
    const decoded = decodeFast(chunk, 4, frame.length, false)!;
    expect(plain(decoded)).toEqual(plain(reference(frame, 4).packet));
  });
});

const connect = (fields: Record<string, unknown>, version: ProtocolVersion = 4) =>
  encodePacket({ cmd: 'connect', protocolId: version === 3 ? 'MQIsdp' : 'MQTT', protocolVersion: version, clean: true, keepalive: 60, clientId: 'c1', ...fields } as Packet, version);

const CONNECTS: Array<{ name: string; frame: Buffer; fast: boolean }> = [
  { name: '3.1.1 clean, id "c1"', frame: connect({}), fast: true },
  { name: '3.1 (MQIsdp)', frame: connect({}, 3), fast: true },
  { name: 'empty client id, keepalive 0', frame: connect({ clientId: '', keepalive: 0 }), fast: true },
  { name: 'not clean', frame: connect({ clean: false }), fast: true },
  { name: 'user name and password', frame: connect({ username: 'ü-user', password: Buffer.from([0, 1, 2]) }), fast: true },
  { name: 'user name only', frame: connect({ username: 'u' }), fast: true },
  { name: 'UTF-8 client id', frame: connect({ clientId: 'é€' }), fast: true },
  { name: 'with a will: general path', frame: connect({ will: { topic: 'w', payload: Buffer.from('x'), qos: 1, retain: true } }), fast: false },
  { name: 'MQTT 5: general path', frame: connect({ properties: { sessionExpiryInterval: 5 } }, 5), fast: false },
  { name: 'reserved flag bit set: general path (and its error)', frame: Buffer.from('100d00044d5154540403003c000161', 'hex'), fast: false },
  { name: 'protocol level 6: general path (and its error)', frame: Buffer.from('100d00044d5154540602003c000161', 'hex'), fast: false },
  { name: 'protocol name "MQTX": general path (and its error)', frame: Buffer.from('100d00044d5154580402003c000161', 'hex'), fast: false },
  { name: 'client id longer than the packet: general path (and its error)', frame: Buffer.from('100d00044d5154540402003c000561', 'hex'), fast: false },
  { name: 'trailing byte: general path', frame: Buffer.from('100e00044d5154540402003c00016100', 'hex'), fast: false },
];

describe('CONNECT fast path: the same packets as mqtt-packet', () => {
  for (const c of CONNECTS) {
    it(c.name, () => {
      expect(decodeConnect311(c.frame, 0, c.frame.length) !== undefined).toBe(c.fast);
      const ref = reference(c.frame, 4);
      const ours = decodeAll(c.frame, undefined);
      if (ref.error) {
        expect(ours.errors).toEqual([ref.error]);
      } else {
        expect(plain(ours.packets[0])).toEqual(plain(ref.packet));
        expect(Object.keys(ours.packets[0]!)).toEqual(Object.keys(ref.packet!));
      }
    });
  }

  it('a 3.1.1 CONNECT fixes the version for what follows, as the parser would', () => {
    const props = encodePacket({ cmd: 'publish', topic: 'a', payload: Buffer.from('y'), qos: 0, dup: false, retain: false, properties: { userProperties: { k: 'v' } } }, 5);
    const { packets } = decodeAll(Buffer.concat([connect({}), props]), 5);
    // read as 3.1.1: the property bytes are part of the payload
    expect((packets[1] as { properties?: unknown }).properties).toBeUndefined();
  });
});

describe('PacketDecoder over a stream', () => {
  const frames = [
    encodePacket({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 5, clean: true, keepalive: 5, clientId: 'c' }, 5),
    encodePacket({ cmd: 'publish', topic: 'a', payload: Buffer.from('x'), qos: 0, dup: false, retain: false }, 5),
    encodePacket({ cmd: 'publish', topic: 'a', payload: Buffer.from('y'), qos: 1, dup: false, retain: true, messageId: 2, properties: { userProperties: { k: 'v' } } }, 5),
    Buffer.from('40020002', 'hex'),
    encodePacket({ cmd: 'subscribe', messageId: 3, subscriptions: [{ topic: 'a/#', qos: 2 }] }, 5),
    encodePacket({ cmd: 'publish', topic: 'b', payload: Buffer.alloc(200, 1), qos: 2, dup: false, retain: false, messageId: 4 }, 5),
    Buffer.from('62020004', 'hex'),
    Buffer.from('c000', 'hex'),
  ];
  const stream = Buffer.concat(frames);

  it('split byte by byte gives what one push gives, learning v5 from CONNECT', () => {
    const whole = decodeAll(stream, undefined);
    const bytewise = decodeAll(stream, undefined, 1);
    expect(whole.errors).toEqual([]);
    expect(whole.packets.map((p) => p.cmd)).toEqual(['connect', 'publish', 'publish', 'puback', 'subscribe', 'publish', 'pubrel', 'pingreq']);
    expect(bytewise.packets.map(plain)).toEqual(whole.packets.map(plain));
    // learned from CONNECT: the user property is a property, not part of the payload
    expect((whole.packets[2] as { properties?: unknown }).properties).toEqual({ userProperties: { k: 'v' } });
    expect((whole.packets[3] as { reasonCode?: number }).reasonCode).toBe(0);
  });

  it('decoders share one parser without sharing versions or errors', () => {
    const v5 = new PacketDecoder({ onPacket: () => {}, onError: () => {} });
    const v4: Packet[] = [];
    const v4dec = new PacketDecoder({ onPacket: (p) => v4.push(p), onError: (e) => v4.push({ cmd: 'error', e } as never) });
    v5.push(frames[0]!);
    v4dec.push(encodePacket({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, keepalive: 5, clientId: 'd' }, 4));
    // a malformed CONNECT elsewhere leaves the shared parser clean
    const bad = new PacketDecoder({ onPacket: () => {}, onError: () => {} });
    const badConnect = Buffer.from(frames[0]!);
    badConnect[8] = 9; // protocol level 9
    bad.push(badConnect);
    const props: Packet[] = [];
    const v5b = new PacketDecoder({ onPacket: (p) => props.push(p), onError: () => {} });
    v5b.push(Buffer.concat([frames[0]!, frames[2]!]));
    v4dec.push(encodePacket({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'x', qos: 0 }] }, 4));
    expect(v4.map((p) => p.cmd)).toEqual(['connect', 'subscribe']);
    expect((props[1] as { properties?: unknown }).properties).toEqual({ userProperties: { k: 'v' } });
  });

  it('mutated frames give what mqtt-packet gives, and never throw', () => {
    let seed = 4242;
    const rand = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
    const bases = [frames[1]!, frames[3]!, frames[5]!, frames[6]!, Buffer.from('3306000174000a78', 'hex'), Buffer.from('40020102', 'hex'), ...CONNECTS.map((c) => c.frame)];
    for (let round = 0; round < 3000; round++) {
      const base = bases[round % bases.length]!;
      const frame = Buffer.from(base);
      // flip header flags or body bytes, keeping the Remaining Length coherent with the size
      const flips = 1 + Math.floor(rand() * 3);
      for (let k = 0; k < flips; k++) {
        const at = rand() < 0.4 ? 0 : frame[1]! < 0x80 ? 2 + Math.floor(rand() * (frame.length - 2)) : 3 + Math.floor(rand() * (frame.length - 3));
        if (at < frame.length) frame[at] = Math.floor(rand() * 256);
      }
      for (const version of [4, 5] as const) {
        let ours!: ReturnType<typeof decodeAll>;
        expect(() => (ours = decodeAll(frame, version))).not.toThrow();
        const ref = reference(frame, version);
        if (ref.error) expect(ours.errors).toEqual([ref.error]);
        else expect(ours.packets.map(plain)).toEqual(ref.packet ? [plain(ref.packet)] : []);
      }
    }
  });
});

describe('acknowledgement encoder fast path', () => {
  it('[MQTT-3.4.2-1] writes the shortest form, as Mosquitto does, and mqtt-packet parses it back', () => {
    const first = { puback: 0x40, pubrec: 0x50, pubrel: 0x62, pubcomp: 0x70 } as const;
    for (const version of [3, 4, 5] as const) {
      for (const cmd of ['puback', 'pubrec', 'pubrel', 'pubcomp'] as const) {
        // failure codes each packet type may carry (mqtt-packet's parser checks)
        const failure = cmd === 'puback' || cmd === 'pubrec' ? [0x10, 0x87] : [0x92];
        for (const reasonCode of [undefined, 0, ...failure]) {
          for (const messageId of [1, 258, 65535]) {
            const packet = { cmd, messageId, ...(reasonCode === undefined ? {} : { reasonCode }) } as Packet;
            const bytes = encodePacket(packet, version);
            const long = version === 5 && reasonCode !== undefined && reasonCode !== 0;
            const expected = [first[cmd], long ? 3 : 2, messageId >> 8, messageId & 0xff, ...(long ? [reasonCode] : [])];
            expect(bytes.toString('hex')).toBe(Buffer.from(expected).toString('hex'));
            const parsed: Packet[] = [];
            const parser = mqttPacket.parser({ protocolVersion: version });
            parser.on('packet', (p: Packet) => parsed.push(p));
            parser.parse(bytes);
            expect(parsed[0]).toMatchObject({ cmd, messageId });
            if (long) expect((parsed[0] as { reasonCode?: number }).reasonCode).toBe(reasonCode);
          }
        }
      }
    }
  });

  it('leaves packets with properties or a bad packet id to mqtt-packet', () => {
    const withProps = { cmd: 'puback', messageId: 1, reasonCode: 0x10, properties: { reasonString: 'x' } } as Packet;
    expect(encodePacket(withProps, 5).toString('hex')).toBe(mqttPacket.generate(withProps, { protocolVersion: 5 }).toString('hex'));
    expect(() => encodePacket({ cmd: 'puback' } as Packet, 4)).toThrow();
  });
});

describe('CONNACK encoder fast path', () => {
  it('writes mqtt-packet’s exact bytes', () => {
    for (const version of [3, 4, 5] as const) {
      for (const sessionPresent of [false, true]) {
        for (const code of [0, 1, 5, 0x80, 0x87]) {
          const packet = { cmd: 'connack', sessionPresent, returnCode: code, reasonCode: code } as Packet;
          expect(encodePacket(packet, version).toString('hex')).toBe(mqttPacket.generate(packet, { protocolVersion: version }).toString('hex'));
        }
      }
    }
    const withProps = { cmd: 'connack', sessionPresent: false, reasonCode: 0, properties: { topicAliasMaximum: 10 } } as Packet;
    expect(encodePacket(withProps, 5).toString('hex')).toBe(mqttPacket.generate(withProps, { protocolVersion: 5 }).toString('hex'));
  });
});

describe('PUBLISH encoder topic copy', () => {
  it('short ASCII, 64 and 65 characters, DEL and non-ASCII topics give mqtt-packet’s bytes', () => {
    for (const topic of ['a', 'x'.repeat(64), 'y'.repeat(65), 'del\x7f/t', 'é', `${'z'.repeat(63)}€`]) {
      for (const version of [4, 5] as const) {
        const packet = { cmd: 'publish', topic, payload: Buffer.from('p'), qos: 1, retain: false, dup: false, messageId: 7 } as const;
        expect(encodePublish(packet, version).bytes.toString('hex')).toBe(mqttPacket.generate(packet, { protocolVersion: version }).toString('hex'));
      }
    }
  });
});

describe('the kind of a decoding error', () => {
  function kindOf(hex: string): { message: string; kind: ProtocolErrorKind } | undefined {
    let got: ProtocolError | undefined;
    new PacketDecoder({ onPacket: () => {}, onError: (e) => (got = e), fromClients: true }).push(Buffer.from(hex, 'hex'));
    return got && { message: got.message, kind: got.kind };
  }
  // CONNECT with protocol name, level, flags 0x02, keep alive 60, client id "a"
  const connect = (name: string, level: number) => {
    const body = Buffer.concat([Buffer.from([0, name.length]), Buffer.from(name), Buffer.from([level, 0x02, 0x00, 0x3c, 0x00, 0x01, 0x61])]);
    return Buffer.concat([Buffer.from([0x10, body.length]), body]).toString('hex');
  };

  it('[MQTT-3.1.2-2] a CONNECT with an unsupported protocol level is told apart by kind, not by its text', () => {
    expect(kindOf(connect('MQTT', 6))?.kind).toBe(ProtocolErrorKind.UnsupportedProtocolVersion);
    expect(kindOf(connect('MQIsdp', 2))?.kind).toBe(ProtocolErrorKind.UnsupportedProtocolVersion);
    // the bridge bit aside, 0x84 is level 4: no error at all
    expect(kindOf(connect('MQTT', 0x84))).toBeUndefined();
    expect(kindOf(connect('MQTT', 0x86))?.kind).toBe(ProtocolErrorKind.UnsupportedProtocolVersion);
  });

  it('other malformed CONNECTs are plain violations', () => {
    expect(kindOf(connect('MQTX', 4))?.kind).toBe(ProtocolErrorKind.Violation);
    expect(kindOf(connect('MQTX', 6))?.kind).toBe(ProtocolErrorKind.Violation);
    // reserved flag bit set
    expect(kindOf(connect('MQTT', 4).replace(/0402003c/, '0403003c'))?.kind).toBe(ProtocolErrorKind.Violation);
    expect(kindOf('100400044d51')?.kind).toBe(ProtocolErrorKind.Violation);
  });
});
