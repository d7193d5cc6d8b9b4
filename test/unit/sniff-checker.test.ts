import { describe, expect, it } from 'vitest';
import { connect, enc, FIXTURES, hex } from '../../scripts/sniff/fixtures.js';
import type { Conversation } from '../../scripts/sniff/tcp-builder.js';
import { ProtocolChecker } from '../../src/sniff/protocol-checker.js';
import type { NoteEvent } from '../../src/sniff/sniff-events.js';
import { stagedCapture } from '../helpers/sniff-files.js';
import { sniffBytes, sniffFixture, type SniffResult } from '../helpers/sniff-run.js';

function replay({ packets, notes }: SniffResult): string[] {
  const found: NoteEvent[] = [];
  const checker = new ProtocolChecker((n) => found.push(n));
  // replay in capture order: packets and notes interleave by time; only closing notes matter here
  for (const p of packets) checker.observe(p);
  for (const n of notes) checker.observe(n);
  return found.map((v) => `${v.rule ?? '-'} ${v.message}`);
}

const violations = (file: string) => replay(sniffFixture(file));

/** Violations in a conversation staged by the test, from its SYN to its FIN. */
function staged(stage: (c: Conversation) => void): string[] {
  return replay(sniffBytes(stagedCapture((c) => (stage(c), c.close()))));
}

const publish = (extra: object, v: 4 | 5 = 4) => enc({ cmd: 'publish', topic: 't', payload: Buffer.from('x'), qos: 0, retain: false, dup: false, ...extra }, v);
const connack = (v: 4 | 5 = 4, properties?: object) => enc({ cmd: 'connack', sessionPresent: false, returnCode: 0, reasonCode: 0, properties }, v);

describe('protocol checker', () => {
  it('finds each broken rule in the violations capture, with its spec id', () => {
    expect(violations('violations.pcap')).toEqual([
      'MQTT-3.3.1-2 QoS 0 PUBLISH with DUP set',
      'MQTT-3.3.2-2 topic "a/+" contains a wildcard',
      'MQTT-1.5.4-1 topic is not valid UTF-8: invalid UTF-8 lead byte 0xc0 at offset 0',
      `MQTT-4.7.1-2 topic filter "a/#/b" '#' must be the last character, alone in its topic level`,
      'MQTT-3.9.3-1 SUBACK has 2 return codes for 1 topic filters',
      '- PUBACK for packet id 99, which is not in flight',
      'MQTT-2.3.1-1 PUBLISH with packet id 0',
      'MQTT-3.1.0-2 second CONNECT on the same connection',
      "MQTT-3.14.4-1 PINGREQ after the client's DISCONNECT",
      'MQTT-3.1.0-1 first packet from the client is PUBLISH, not CONNECT',
    ]);
  });

  it('names what the fixed header breaks: reserved flag bits, QoS 3, the reserved type', () => {
    expect(violations('malformed.pcap')).toEqual([
      'MQTT-2.2.2-2 SUBSCRIBE with reserved flag bits 0x0 in its fixed header (must be 0x2)',
      'MQTT-3.3.1-4 PUBLISH with QoS 3 (both QoS bits set)',
      '- packet type 0 is reserved',
    ]);
  });

  it('reserved flag bits on packets the codec would accept too, and the CONNECT reserved flag', () => {
    expect(
      staged((c) => {
        c.send(true, hex('10 0d 0004 4d515454 04 03 003c 0001 61')); // connect flags 0x03: bit 0 set
        c.send(true, hex('c1 00')); // PINGREQ with flag bits 0x1
      }),
    ).toEqual([
      'MQTT-3.1.2-3 CONNECT with the reserved connect flag (bit 0) set',
      'MQTT-2.2.2-2 PINGREQ with reserved flag bits 0x1 in its fixed header (must be 0x0)',
    ]);
  });

  it('a topic alias used before the capture saw it set', () => {
    expect(
      staged((c) => {
        c.send(true, connect('alias', 5));
        c.send(false, connack(5, { topicAliasMaximum: 10 }));
        c.send(true, publish({ topic: '', properties: { topicAlias: 3 } }, 5));
      }),
    ).toEqual(['MQTT-3.3.2-7 topic alias 3 used before it was set']);
  });

  it('keepalive overrun: a client silent for more than 1.5 times its keepalive', () => {
    expect(
      staged((c) => {
        c.send(true, connect('sleepy', 4, { keepalive: 2 }));
        c.send(false, connack());
        c.write(c.segment(true, enc({ cmd: 'pingreq' })), { sec: 1_700_000_010, nsec: 0 });
      }),
    ).toEqual([expect.stringMatching(/^MQTT-3\.1\.2-24 client was silent 1\d\.\d s, over 1\.5 × keepalive 2 s$/)]);
  });

  it('packet id reuse while in flight, but not a DUP re-send, and fine once acknowledged', () => {
    expect(
      staged((c) => {
        c.send(true, connect('reuse'));
        c.send(false, connack());
        c.send(true, publish({ qos: 1, messageId: 7 }));
        c.send(true, publish({ qos: 1, messageId: 7, dup: true })); // a retry: allowed
        c.send(true, publish({ qos: 2, messageId: 7 })); // a new message on an id in flight
        c.send(false, enc({ cmd: 'puback', messageId: 8 })); // acknowledges nothing
        c.send(false, enc({ cmd: 'pubrec', messageId: 7 }));
        c.send(true, enc({ cmd: 'pubrel', messageId: 7 }));
        c.send(false, enc({ cmd: 'pubcomp', messageId: 7 }));
        c.send(true, publish({ qos: 1, messageId: 7 })); // free again
      }),
    ).toEqual(['MQTT-2.3.1-2 PUBLISH reuses packet id 7 still in flight (PUBLISH)', '- PUBACK for packet id 8, which is not in flight']);
  });

  it.each(['v311-session.pcap', 'v5-properties.pcapng', 'real-mosquitto.pcap', 'bursts.pcap', 'tcp-trouble.pcap', 'websocket.pcap', 'link-types.pcapng', 'split-varint.pcap', 'gap-midstream.pcap'])(
    'finds nothing wrong in the well-behaved %s (no false alarms, mid-stream starts included)',
    (file) => {
      expect(FIXTURES.some((f) => f.file === file)).toBe(true);
      expect(violations(file)).toEqual([]);
    },
  );
});
