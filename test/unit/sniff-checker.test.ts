import { describe, expect, it } from 'vitest';
import { FIXTURES } from '../../scripts/sniff/fixtures.js';
import { ProtocolChecker } from '../../src/sniff/protocol-checker.js';
import type { NoteEvent } from '../../src/sniff/sniff-events.js';
import { sniffFixture } from '../helpers/sniff-run.js';

function violations(file: string): string[] {
  const found: NoteEvent[] = [];
  const checker = new ProtocolChecker((n) => found.push(n));
  const { packets, notes } = sniffFixture(file);
  // replay in capture order: packets and notes interleave by time; only closing notes matter here
  for (const p of packets) checker.observe(p);
  for (const n of notes) checker.observe(n);
  return found.map((v) => `${v.rule ?? '-'} ${v.message}`);
}

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

  it('reports packets the codec rejected', () => {
    expect(violations('malformed.pcap')).toEqual([
      expect.stringMatching(/^- malformed SUBSCRIBE: .*flag/i),
      expect.stringMatching(/^- malformed PUBLISH: .*QoS/),
      expect.stringMatching(/^- malformed RESERVED/),
    ]);
  });

  it.each(['v311-session.pcap', 'v5-properties.pcapng', 'real-mosquitto.pcap', 'bursts.pcap', 'tcp-trouble.pcap', 'websocket.pcap', 'link-types.pcapng', 'split-varint.pcap', 'gap-midstream.pcap'])(
    'finds nothing wrong in the well-behaved %s (no false alarms, mid-stream starts included)',
    (file) => {
      expect(FIXTURES.some((f) => f.file === file)).toBe(true);
      expect(violations(file)).toEqual([]);
    },
  );
});
