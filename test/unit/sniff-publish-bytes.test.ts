import { Writable } from 'node:stream';
import { Chalk } from 'chalk';
import { describe, expect, it } from 'vitest';
import type { Packet } from '../../src/core/protocol/codec.js';
import { packetJson } from '../../src/sniff/format/sniff-json.js';
import { packetLine } from '../../src/sniff/format/sniff-line.js';
import { publishJson, publishLine } from '../../src/sniff/format/sniff-publish-bytes.js';
import { SniffOutput } from '../../src/sniff/format/sniff-sink.js';
import type { ConnectionInfo, PacketEvent } from '../../src/sniff/sniff-events.js';

// The byte-writing PUBLISH path must print exactly what the general string path prints.

function collector(): { stream: Writable; text: () => Buffer } {
  const parts: Buffer[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      parts.push(Buffer.from(chunk));
      done();
    },
  });
  return { stream, text: () => Buffer.concat(parts) };
}

function conn(over: Partial<ConnectionInfo> = {}): ConnectionInfo {
  return {
    id: 3,
    clientHost: '127.0.0.1',
    clientPort: 40001,
    serverHost: '127.0.0.1',
    serverPort: 1883,
    client: '127.0.0.1:40001',
    server: '127.0.0.1:1883',
    transport: 'tcp',
    protocolVersion: 4,
    connectSeen: true,
    startSeen: true,
    clientId: 'bench-pub',
    ...over,
  };
}

const conns = [
  conn(),
  conn({ clientId: undefined }),
  conn({ clientId: 'with space "and quote"' }),
  conn({ id: 12345, transport: 'websocket', client: '[::1]:40001', server: '[::1]:8080', protocolVersion: 5, clientId: 'é' }),
];

const payloads = [
  '',
  'message 1',
  'x'.repeat(40),
  'y'.repeat(41),
  'z'.repeat(1000),
  'with "quote" and \\',
  'tab\tand newline\n',
  'grüße ✓',
  Buffer.from([0, 1, 2, 0xff]),
  Buffer.concat([Buffer.from('a'.repeat(39)), Buffer.from('é')]),
];
const topics = ['bench/topic', '', 't"q', 'ümlaut/topic', 'a'.repeat(256), 'b'.repeat(300), 'ctl\x01'];

function events(): PacketEvent[] {
  const out: PacketEvent[] = [];
  const ats = [
    { sec: 1700000000, nsec: 123456000, precision: 6 },
    { sec: 1700000001, nsec: 5, precision: 9 },
    { sec: 1700000002, nsec: 0, precision: 0 },
  ];
  let i = 0;
  for (const c of conns) {
    for (const topic of topics) {
      for (const p of payloads) {
        const payload = typeof p === 'string' ? Buffer.from(p) : p;
        const qos = (i % 3) as 0 | 1 | 2;
        const packet = {
          cmd: 'publish',
          qos,
          retain: i % 2 === 0,
          dup: i % 5 === 0,
          topic,
          payload,
          messageId: qos > 0 ? 1 + ((i * 7919) % 65535) : undefined,
          length: 0,
        } as unknown as Packet;
        const raw = Buffer.alloc(2 + Buffer.byteLength(topic) + payload.length + (i % 4));
        raw[0] = 0x30 | (qos << 1);
        out.push({ kind: 'packet', at: ats[i % ats.length]!, conn: c, fromClient: i % 4 !== 1, raw, packet, error: null });
        i++;
      }
    }
  }
  return out;
}

describe('PUBLISH written as bytes', () => {
  it.each([0, 1])('lines are byte for byte packetLine() (colour level %i)', (level) => {
    const opts = { chalk: new Chalk({ level: level as 0 | 1 }), verbose: false, showPasswords: false };
    const { stream, text } = collector();
    const out = new SniffOutput(stream);
    const expected: string[] = [];
    for (const ev of events()) {
      expected.push(packetLine(ev, opts));
      expect(publishLine(out, ev, opts)).toBe(true);
    }
    out.flush();
    expect(text().toString('utf8')).toBe(expected.join(''));
    expect(text().equals(Buffer.from(expected.join('')))).toBe(true);
  });

  it('JSON is byte for byte packetJson()', () => {
    const opts = { payload: false, showPasswords: false };
    const { stream, text } = collector();
    const out = new SniffOutput(stream);
    const expected: string[] = [];
    for (const ev of events()) {
      expected.push(packetJson(ev, opts));
      expect(publishJson(out, ev, opts)).toBe(true);
    }
    out.flush();
    expect(text().toString('utf8')).toBe(expected.join(''));
  });

  it('a client id learnt later changes the lines that follow', () => {
    const opts = { chalk: new Chalk({ level: 0 }), verbose: false, showPasswords: false };
    const { stream, text } = collector();
    const out = new SniffOutput(stream);
    const c = conn({ clientId: undefined });
    const ev = events()[0]!;
    const expected: string[] = [];
    for (const id of [undefined, 'first', 'second']) {
      c.clientId = id;
      const e = { ...ev, conn: c };
      expected.push(packetLine(e, opts), packetJson(e, { payload: false, showPasswords: false }));
      publishLine(out, e, opts);
      publishJson(out, e, { payload: false, showPasswords: false });
    }
    out.flush();
    expect(text().toString('utf8')).toBe(expected.join(''));
  });

  it('leaves -v, --payload, Topic Aliases, properties and other packets to the general path', () => {
    const out = new SniffOutput(collector().stream);
    const ev = events()[0]!;
    const chalk = new Chalk({ level: 0 });
    expect(publishLine(out, ev, { chalk, verbose: true, showPasswords: false })).toBe(false);
    expect(publishJson(out, ev, { payload: true, showPasswords: false })).toBe(false);
    const aliased = { ...ev, packet: { ...ev.packet, properties: { topicAlias: 2 } } as Packet };
    expect(publishLine(out, aliased, { chalk, verbose: false, showPasswords: false })).toBe(false);
    expect(publishJson(out, aliased, { payload: false, showPasswords: false })).toBe(false);
    const ack = { ...ev, packet: { cmd: 'puback', messageId: 1 } as Packet };
    expect(publishLine(out, ack, { chalk, verbose: false, showPasswords: false })).toBe(false);
    expect(publishJson(out, { ...ev, packet: null, error: 'bad' }, { payload: false, showPasswords: false })).toBe(false);
    expect(out.pos).toBe(0);
  });

  it('string lines and byte lines keep their order across buffer flushes', () => {
    const opts = { chalk: new Chalk({ level: 0 }), verbose: false, showPasswords: false };
    const { stream, text } = collector();
    const out = new SniffOutput(stream);
    const expected: string[] = [];
    const evs = events();
    for (let n = 0; n < 3000; n++) {
      const ev = evs[n % evs.length]!;
      const line = packetLine(ev, opts);
      expected.push(line);
      if (n % 3 === 0) out.write(line);
      else publishLine(out, ev, opts);
      if (n % 1000 === 0) {
        const huge = `${'h'.repeat(200_000)}\n`;
        expected.push(huge);
        out.write(huge);
      }
    }
    out.flush();
    expect(text().toString('utf8')).toBe(expected.join(''));
  });
});
