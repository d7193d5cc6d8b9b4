/**
 * Crafted test captures for `mqtt sniff`, built byte by byte so each one stages one difficulty:
 * split varints, gaps, retransmissions, reordering, malformed packets, many packets per segment,
 * v5 properties, link types, WebSocket. `node scripts/sniff/make-fixtures.mjs` writes them to
 * test/fixtures/sniff/; a unit test checks the committed files still equal what this builds.
 */
import type { Packet } from 'mqtt-packet';
import type { ProtocolVersion } from '../../src/core/protocol/types.js';
import { encodePacket } from '../../src/core/protocol/codec.js';
import { LINKTYPE } from '../../src/sniff/link-types.js';
import { writeClassicPcap, writePcapng, type WrittenFrame } from '../../src/sniff/pcap-writer.js';
import { ACK, Conversation, FIN, PSH, type ConversationOptions } from './tcp-builder.js';

export interface Fixture {
  file: string;
  /** extra tshark options this capture needs (ports other than 1883, version) */
  tshark: string[];
  /** why tshark's packet list is not the truth for this capture, if it is not */
  tsharkWrong?: string;
  /** undefined for recorded captures */
  build?: () => Buffer;
}

const T0 = { sec: 1_700_000_000, nsec: 0 };
/** Encodes a packet object (mqtt-packet's shape) for version `v`; exported for tests that stage their own conversations. */
export const enc = (p: object, v: ProtocolVersion = 4) => encodePacket(p as Packet, v);
export const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const V4 = { client: { host: '127.0.0.1', port: 40001 }, server: { host: '127.0.0.1', port: 1883 } };

export function connect(clientId: string, v: ProtocolVersion = 4, extra: object = {}): Buffer {
  return enc({ cmd: 'connect', protocolId: v === 3 ? 'MQIsdp' : 'MQTT', protocolVersion: v, clean: true, keepalive: 30, clientId, ...extra }, v);
}

/** A conversation 127.0.0.1:40001 -> 127.0.0.1:1883 from T0 unless `opts` says otherwise. */
export function conversation(opts: Partial<ConversationOptions>, frames?: WrittenFrame[]): Conversation {
  return new Conversation({ ...V4, start: T0, ...opts }, frames);
}

/** Every packet type of 3.1.1 once, both directions, in one well-behaved session. */
function v311Session(): Buffer {
  const c = conversation({});
  c.handshake();
  c.send(true, connect('sniff-test', 4, { username: 'u', password: Buffer.from('p'), will: { topic: 'w/t', payload: Buffer.from('bye'), qos: 1, retain: true } }));
  c.send(false, enc({ cmd: 'connack', sessionPresent: false, returnCode: 0 }));
  c.send(true, enc({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'a/#', qos: 1 }, { topic: 'b/+', qos: 2 }] }));
  c.send(false, enc({ cmd: 'suback', messageId: 1, granted: [1, 2] }));
  c.send(true, enc({ cmd: 'publish', topic: 'a/x', payload: Buffer.from('hi'), qos: 0, retain: false, dup: false }));
  c.send(true, enc({ cmd: 'publish', topic: 'a/y', payload: Buffer.from('retained'), qos: 1, messageId: 2, retain: true, dup: false }));
  c.send(false, enc({ cmd: 'puback', messageId: 2 }));
  c.send(true, enc({ cmd: 'publish', topic: 'a/z', payload: Buffer.from('twice'), qos: 2, messageId: 3, retain: false, dup: true }));
  c.send(false, enc({ cmd: 'pubrec', messageId: 3 }));
  c.send(true, enc({ cmd: 'pubrel', messageId: 3 }));
  c.send(false, enc({ cmd: 'pubcomp', messageId: 3 }));
  c.send(false, enc({ cmd: 'publish', topic: 'b/z', payload: Buffer.alloc(300, 0x41), qos: 1, messageId: 7, retain: false, dup: false }));
  c.send(true, enc({ cmd: 'puback', messageId: 7 }));
  c.send(true, enc({ cmd: 'unsubscribe', messageId: 4, unsubscriptions: ['a/#'] }));
  c.send(false, enc({ cmd: 'unsuback', messageId: 4 }));
  c.send(true, enc({ cmd: 'pingreq' }));
  c.send(false, enc({ cmd: 'pingresp' }));
  c.send(true, enc({ cmd: 'disconnect' }));
  c.close();
  return writeClassicPcap(c.frames, { linkType: LINKTYPE.ETHERNET });
}

/** MQTT 5 with properties everywhere, short-form acks, an empty DISCONNECT; IPv6 in SLL2, ns pcapng. */
function v5Properties(): Buffer {
  const c = conversation({
    client: { host: '::1', port: 40002 },
    server: { host: '::1', port: 1883 },
    linkType: LINKTYPE.LINUX_SLL2,
    stepNs: 1_234_567,
  });
  c.handshake();
  c.send(true, connect('v5-client', 5, {
    properties: { sessionExpiryInterval: 60, receiveMaximum: 10, topicAliasMaximum: 4, userProperties: { app: 'sniff' } },
  }));
  c.send(false, enc({
    cmd: 'connack', sessionPresent: false, reasonCode: 0,
    properties: { assignedClientIdentifier: 'assigned-1', topicAliasMaximum: 5, reasonString: 'welcome' },
  }, 5));
  c.send(true, enc({
    cmd: 'subscribe', messageId: 1, properties: { subscriptionIdentifier: 42 },
    subscriptions: [{ topic: 'v5/#', qos: 2, nl: true, rap: true, rh: 1 }, { topic: 'denied', qos: 0 }],
  }, 5));
  c.send(false, enc({ cmd: 'suback', messageId: 1, granted: [2, 0x87], properties: {} }, 5));
  c.send(true, enc({
    cmd: 'publish', topic: 'v5/t', qos: 1, messageId: 5, retain: false, dup: false, payload: Buffer.from('{"v":1}'),
    properties: { topicAlias: 1, contentType: 'application/json', correlationData: Buffer.from('c0ffee', 'hex'), messageExpiryInterval: 30, userProperties: { k: ['a', 'b'] } },
  }, 5));
  c.send(false, hex('40 02 0005')); // short PUBACK: no reason code, no properties
  c.send(true, enc({ cmd: 'publish', topic: '', qos: 1, messageId: 6, retain: false, dup: false, payload: Buffer.from('alias'), properties: { topicAlias: 1 } }, 5));
  c.send(false, enc({ cmd: 'puback', messageId: 6, reasonCode: 0x10, properties: { reasonString: 'nobody listens' } }, 5));
  c.send(false, enc({ cmd: 'publish', topic: 'v5/t', qos: 2, messageId: 9, retain: false, dup: false, payload: Buffer.from('down'), properties: { subscriptionIdentifier: 42 } }, 5));
  c.send(true, enc({ cmd: 'pubrec', messageId: 9 }, 5));
  c.send(false, enc({ cmd: 'pubrel', messageId: 9 }, 5));
  c.send(true, enc({ cmd: 'pubcomp', messageId: 9 }, 5));
  c.send(true, hex('e0 00')); // DISCONNECT with no reason code: Normal disconnection
  c.close();
  return writePcapng(c.frames, { interfaces: [{ linkType: LINKTYPE.LINUX_SLL2, tsresol: 9 }] });
}

/** A client writing one byte per segment: the Remaining Length varint arrives split (tshark 4.0 misframes this). */
function splitVarint(): Buffer {
  const c = conversation({ linkType: LINKTYPE.NULL });
  c.handshake();
  const conn = connect('slow');
  c.send(true, conn, Array(conn.length).fill(1));
  c.send(false, enc({ cmd: 'connack', sessionPresent: false, returnCode: 0 }));
  // 200-byte payload: Remaining Length 0xd2 0x01, split after its first byte
  const big = enc({ cmd: 'publish', topic: 'split/varint', payload: Buffer.alloc(200, 0x42), qos: 1, messageId: 1, retain: false, dup: false });
  c.send(true, big, [2, 1, 50]);
  c.send(false, enc({ cmd: 'puback', messageId: 1 }));
  // two packets in one segment, the second's varint cut between segments
  const a = enc({ cmd: 'publish', topic: 'x', payload: Buffer.from('1'), qos: 0, retain: false, dup: false });
  const b = enc({ cmd: 'publish', topic: 'y', payload: Buffer.alloc(130, 0x43), qos: 0, retain: false, dup: false });
  c.send(true, Buffer.concat([a, b]), [a.length + 2, 1]);
  c.send(true, enc({ cmd: 'disconnect' }));
  c.close();
  return writeClassicPcap(c.frames, { linkType: LINKTYPE.NULL, nano: true, bigEndian: true });
}

/** 500 PUBLISH in one segment, then one PUBLISH of 20 kB spread over 15 segments; 802.1Q-tagged Ethernet. */
function bursts(): Buffer {
  const c = conversation({ vlan: true });
  c.handshake();
  c.send(true, connect('burst'));
  c.send(false, enc({ cmd: 'connack', sessionPresent: false, returnCode: 0 }));
  const many = Buffer.concat(Array.from({ length: 500 }, (_, i) => enc({ cmd: 'publish', topic: `b/${i % 7}`, payload: Buffer.from(String(i)), qos: 0, retain: false, dup: false })));
  c.send(true, many);
  const large = enc({ cmd: 'publish', topic: 'large', payload: Buffer.alloc(20_000, 0x44), qos: 1, messageId: 1, retain: false, dup: false });
  c.send(true, large, Array(14).fill(1448));
  c.send(false, enc({ cmd: 'puback', messageId: 1 }));
  c.send(true, enc({ cmd: 'disconnect' }));
  c.close();
  return writeClassicPcap(c.frames, { linkType: LINKTYPE.ETHERNET });
}

/** Segments out of order, a full retransmission, a partial overlap, and a tail-loss probe after close. */
function tcpTrouble(): Buffer {
  const c = conversation({});
  c.handshake();
  c.send(true, connect('trouble'));
  c.send(false, enc({ cmd: 'connack', sessionPresent: false, returnCode: 0 }));
  const pub = (n: number) => enc({ cmd: 'publish', topic: `t/${n}`, payload: Buffer.from(`m${n}`), qos: 1, messageId: n, retain: false, dup: false });
  const [s1, s2, s3] = [c.segment(true, pub(1)), c.segment(true, pub(2)), c.segment(true, pub(3))];
  c.write(s1);
  c.write(s3); // arrives before s2
  c.write(s2);
  c.write(s2); // retransmitted
  c.send(false, Buffer.concat([1, 2, 3].map((n) => enc({ cmd: 'puback', messageId: n }))));
  // a segment re-sending the tail of pub(4) together with pub(5)
  const p4 = pub(4);
  const p5 = pub(5);
  const s4 = c.segment(true, p4);
  c.write(s4);
  const s5 = c.segment(true, p5);
  c.write({ ...s5, seq: (s4.seq + 3) >>> 0, payload: Buffer.concat([p4.subarray(3), p5]) });
  c.send(false, Buffer.concat([4, 5].map((n) => enc({ cmd: 'puback', messageId: n }))));
  const disc = c.segment(true, enc({ cmd: 'disconnect' }), ACK | PSH | FIN);
  c.write(disc);
  c.write(c.segment(false, Buffer.alloc(0), FIN | ACK));
  c.write(c.segment(true, Buffer.alloc(0), ACK));
  c.write(disc); // tail-loss probe: the DISCONNECT+FIN again
  return writeClassicPcap(c.frames, { linkType: LINKTYPE.ETHERNET });
}

/**
 * The capture starts inside a connection (no SYN, mid-packet), loses one segment, and has one frame
 * cut by the snaplen: the sniffer must resynchronise, never invent packets.
 */
function gapMidstream(): Buffer {
  const c = conversation({ linkType: LINKTYPE.RAW });
  const pub = (n: number, size = 10) => enc({ cmd: 'publish', topic: `g/${n}`, payload: Buffer.alloc(size, 0x30 + n), qos: 0, retain: false, dup: false });
  // state as if the connection had long been running
  c.segment(true, Buffer.alloc(777));
  const first = pub(1, 40);
  c.write(c.segment(true, first.subarray(20))); // tail of a packet whose start was not captured
  c.send(true, Buffer.concat([pub(2), pub(3)]));
  c.send(false, enc({ cmd: 'pingresp' }));
  const lostA = pub(4);
  const lostB = pub(5);
  c.segment(true, Buffer.concat([lostA, lostB.subarray(0, 5)])); // never captured
  c.write(c.segment(true, lostB.subarray(5))); // rest of pub(5): no boundary here
  c.write(c.segment(false, Buffer.alloc(0), ACK)); // the server got it all: the hole is a capture loss
  c.send(true, Buffer.concat([pub(6), pub(7)])); // resynchronise here
  const cut = c.segment(true, Buffer.concat([pub(8), pub(9, 100)]));
  c.write(cut);
  // the same kind of frame again, but cut by a snaplen: 30 bytes of TCP payload captured
  const cutSeg = c.segment(true, Buffer.concat([pub(10), pub(11, 100)]));
  c.write(cutSeg);
  const frame = c.frames[c.frames.length - 1]!;
  const keep = 20 + 20 + 30;
  c.frames[c.frames.length - 1] = { ...frame, data: frame.data.subarray(0, keep), origLen: frame.data.length };
  c.send(true, pub(12));
  return writeClassicPcap(c.frames, { linkType: LINKTYPE.RAW, snapLen: 70 });
}

/** Packets mqtt-packet rejects: wrong fixed-header flags, QoS 3, reserved type 0, a 5-byte varint. */
function malformed(): Buffer {
  const c = conversation({});
  c.handshake();
  c.send(true, connect('bad'));
  c.send(false, enc({ cmd: 'connack', sessionPresent: false, returnCode: 0 }));
  c.send(true, hex('80 08 0001 0003 612f62 01')); // SUBSCRIBE with flags 0 instead of 2
  c.send(true, hex('36 05 0001 61 0001')); // PUBLISH with both QoS bits set
  c.send(true, enc({ cmd: 'publish', topic: 'ok/1', payload: Buffer.from('fine'), qos: 0, retain: false, dup: false }));
  c.send(true, hex('00 02 0000')); // reserved type 0: framing is lost
  c.send(true, enc({ cmd: 'publish', topic: 'ok/2', payload: Buffer.from('again'), qos: 0, retain: false, dup: false }));
  c.send(false, hex('30 ff ff ff ff 01 00')); // Remaining Length of five bytes
  c.send(false, enc({ cmd: 'pingresp' }));
  c.send(true, enc({ cmd: 'disconnect' }));
  c.close();
  return writeClassicPcap(c.frames, { linkType: LINKTYPE.ETHERNET });
}

/** Well-formed packets that break the protocol's rules, for the checker. */
function violations(): Buffer {
  const frames: WrittenFrame[] = [];
  const c = conversation({}, frames);
  c.handshake();
  c.send(true, connect('rule-breaker'));
  c.send(false, enc({ cmd: 'connack', sessionPresent: false, returnCode: 0 }));
  c.send(true, hex('38 07 0003 612f62 6869')); // QoS 0 PUBLISH with DUP set
  c.send(true, enc({ cmd: 'publish', topic: 'a/+', payload: Buffer.from('w'), qos: 0, retain: false, dup: false }));
  c.send(true, hex('30 06 0002 c080 6869')); // topic with an overlong (invalid) UTF-8 encoding of U+0000
  c.send(true, enc({ cmd: 'subscribe', messageId: 5, subscriptions: [{ topic: 'a/#/b', qos: 0 }] }));
  c.send(false, enc({ cmd: 'suback', messageId: 5, granted: [0, 0] })); // two codes for one filter
  c.send(false, enc({ cmd: 'puback', messageId: 99 })); // acknowledges nothing
  c.send(true, hex('32 07 0001 61 0000 6869')); // QoS 1 PUBLISH with packet id 0
  c.send(true, connect('rule-breaker')); // a second CONNECT
  c.send(true, enc({ cmd: 'disconnect' }));
  c.send(true, enc({ cmd: 'pingreq' })); // after DISCONNECT
  c.close();
  // a second connection whose first packet is not CONNECT
  const d = conversation({ client: { host: '127.0.0.1', port: 40009 }, start: { sec: T0.sec + 1, nsec: 0 } }, frames);
  d.handshake();
  d.send(true, enc({ cmd: 'publish', topic: 'early', payload: Buffer.from('x'), qos: 0, retain: false, dup: false }));
  d.send(false, enc({ cmd: 'connack', sessionPresent: false, returnCode: 0 }));
  d.close();
  return writeClassicPcap(frames, { linkType: LINKTYPE.ETHERNET });
}

/** Five link types in one big-endian pcapng (as mergecap writes), one on a port tshark does not know. */
function linkTypes(): Buffer {
  const frames: WrittenFrame[] = [];
  const links = [LINKTYPE.ETHERNET, LINKTYPE.LINUX_SLL, LINKTYPE.NULL, LINKTYPE.LOOP, LINKTYPE.RAW];
  links.forEach((linkType, i) => {
    const c = conversation({
      linkType,
      iface: i,
      vlan: i === 0,
      client: { host: `10.0.${i}.2`, port: 41000 + i },
      server: { host: `10.0.${i}.1`, port: i === 4 ? 18830 : 1883 },
      start: { sec: T0.sec + i, nsec: 123_456_000 },
    }, frames);
    c.handshake();
    c.send(true, connect(`link-${linkType}`, i === 2 ? 3 : 4));
    c.send(false, enc({ cmd: 'connack', sessionPresent: false, returnCode: 0 }));
    c.send(true, enc({ cmd: 'publish', topic: `link/${linkType}`, payload: Buffer.from('x'.repeat(i + 1)), qos: 1, messageId: i + 1, retain: i % 2 === 0, dup: false }));
    c.send(false, enc({ cmd: 'puback', messageId: i + 1 }));
    c.send(true, enc({ cmd: 'disconnect' }));
    c.close();
  });
  return writePcapng(frames, { bigEndian: true, interfaces: links.map((linkType, i) => ({ linkType, tsresol: i === 1 ? 9 : undefined })) });
}

function wsFrame(opcode: number, payload: Buffer, fin: boolean, mask?: Buffer): Buffer {
  const len = payload.length;
  const head = len < 126 ? Buffer.from([(fin ? 0x80 : 0) | opcode, (mask ? 0x80 : 0) | len]) : Buffer.from([(fin ? 0x80 : 0) | opcode, (mask ? 0x80 : 0) | 126, len >> 8, len & 0xff]);
  if (!mask) return Buffer.concat([head, payload]);
  const body = Buffer.from(payload.map((b, i) => b ^ mask[i % 4]!));
  return Buffer.concat([head, mask, body]);
}

/** MQTT over WebSocket: MQTT.js-style packets split over several masked frames, Mosquitto-style one per frame. */
function websocket(): Buffer {
  const c = conversation({ server: { host: '127.0.0.1', port: 8080 } });
  const mask = Buffer.from('a1b2c3d4', 'hex');
  c.handshake();
  c.send(true, Buffer.from('GET /mqtt HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
    'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: mqtt\r\n\r\n'));
  c.send(false, Buffer.from('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
    'Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Protocol: mqtt\r\n\r\n'));
  const conn = connect('ws-client');
  c.send(true, Buffer.concat([wsFrame(2, conn.subarray(0, 1), false, mask), wsFrame(0, conn.subarray(1, 2), false, mask), wsFrame(0, conn.subarray(2), true, mask)]));
  c.send(false, wsFrame(2, enc({ cmd: 'connack', sessionPresent: false, returnCode: 0 }), true));
  c.send(true, wsFrame(9, Buffer.from('ping'), true, mask));
  const big = enc({ cmd: 'publish', topic: 'ws/big', payload: Buffer.alloc(1000, 0x45), qos: 1, messageId: 1, retain: false, dup: false });
  c.send(true, wsFrame(2, big, true, mask), [600]);
  c.send(false, Buffer.concat([wsFrame(2, enc({ cmd: 'puback', messageId: 1 }), true), wsFrame(2, enc({ cmd: 'publish', topic: 'ws/down', payload: Buffer.from('hey'), qos: 0, retain: false, dup: false }), true)]));
  c.send(true, wsFrame(2, enc({ cmd: 'disconnect' }), true, mask));
  c.send(true, wsFrame(8, Buffer.from([0x03, 0xe8]), true, mask));
  c.close();
  return writeClassicPcap(c.frames, { linkType: LINKTYPE.ETHERNET });
}

export const FIXTURES: Fixture[] = [
  { file: 'v311-session.pcap', tshark: [], build: v311Session },
  { file: 'v5-properties.pcapng', tshark: [], build: v5Properties },
  { file: 'split-varint.pcap', tshark: [], build: splitVarint, tsharkWrong: 'misframes a packet whose Remaining Length varint is split across segments' },
  { file: 'bursts.pcap', tshark: [], build: bursts },
  { file: 'tcp-trouble.pcap', tshark: [], build: tcpTrouble },
  { file: 'gap-midstream.pcap', tshark: [], build: gapMidstream, tsharkWrong: 'decodes payload bytes after a gap as packets' },
  { file: 'malformed.pcap', tshark: [], build: malformed, tsharkWrong: 'drops the packet that follows a corrupt Remaining Length' },
  { file: 'violations.pcap', tshark: [], build: violations },
  { file: 'link-types.pcapng', tshark: ['-d', 'tcp.port==18830,mqtt'], build: linkTypes },
  { file: 'websocket.pcap', tshark: [], build: websocket, tsharkWrong: 'cannot decode MQTT over WebSocket' },
  { file: 'real-mosquitto.pcap', tshark: [] },
];
