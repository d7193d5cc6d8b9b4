import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXTURES } from '../../scripts/sniff/fixtures.js';
import { FIXTURE_DIR, sniffFixture } from '../helpers/sniff-run.js';
import { rowText } from '../helpers/sniff-rows.js';

const T = '1700000000';
const C = '127.0.0.1:40001';
const S = '127.0.0.1:1883';


describe('crafted fixtures', () => {
  it.each(FIXTURES.filter((f) => f.build).map((f) => f.file))('%s is what scripts/sniff/fixtures.ts builds', (file) => {
    const fixture = FIXTURES.find((f) => f.file === file)!;
    expect(fixture.build!().equals(readFileSync(path.join(FIXTURE_DIR, file)))).toBe(true);
  });

  it('split varints: every packet framed, each at the time of the segment that completes it', () => {
    const rows = sniffFixture('split-varint.pcap').rows.map(rowText);
    expect(rows).toEqual([
      // handshake in frames 0-2, then the 18-byte CONNECT one byte per frame
      `${T}.020000 ${C}>${S} CONNECT v4 "slow"`,
      `${T}.021000 ${S}>${C} CONNACK rc=0`,
      `${T}.025000 ${C}>${S} PUBLISH id=1 q1 "split/varint" 200`,
      `${T}.026000 ${S}>${C} PUBACK id=1`,
      `${T}.027000 ${C}>${S} PUBLISH q0 "x" 1`,
      `${T}.029000 ${C}>${S} PUBLISH q0 "y" 130`,
      `${T}.030000 ${C}>${S} DISCONNECT`,
    ]);
  });

  it('same packets whatever the file chunking (byte by byte included)', () => {
    for (const f of ['split-varint.pcap', 'v5-properties.pcapng', 'link-types.pcapng']) {
      expect(sniffFixture(f, {}, 1).rows).toEqual(sniffFixture(f).rows);
    }
  });

  it('gap and mid-stream start: resynchronises at segment starts, never invents packets', () => {
    const { rows, notes } = sniffFixture('gap-midstream.pcap');
    expect(rows.map(rowText)).toEqual([
      `${T}.001000 ${C}>${S} PUBLISH q0 "g/2" 10`,
      `${T}.001000 ${C}>${S} PUBLISH q0 "g/3" 10`,
      `${T}.002000 ${S}>${C} PINGRESP`,
      `${T}.005000 ${C}>${S} PUBLISH q0 "g/6" 10`,
      `${T}.005000 ${C}>${S} PUBLISH q0 "g/7" 10`,
      `${T}.006000 ${C}>${S} PUBLISH q0 "g/8" 10`,
      `${T}.006000 ${C}>${S} PUBLISH q0 "g/9" 100`,
      `${T}.007000 ${C}>${S} PUBLISH q0 "g/10" 10`,
      `${T}.008000 ${C}>${S} PUBLISH q0 "g/12" 10`,
    ]);
    // the 47-byte g/1 was captured from its 21st byte on
    const gaps = notes.filter((n) => n.note === 'skipped').map((n) => n.message);
    expect(gaps[0]).toMatch(/^27 bytes skipped: capture started inside the stream/);
    expect(gaps.some((m) => /after a gap/.test(m))).toBe(true);
  });

  it('malformed packets are reported with what their bytes say; a corrupt Remaining Length loses sync until the next segment', () => {
    const { rows, packets } = sniffFixture('malformed.pcap');
    expect(rows.map(rowText)).toEqual([
      `${T}.003000 ${C}>${S} CONNECT v4 "bad"`,
      `${T}.004000 ${S}>${C} CONNACK rc=0`,
      `${T}.005000 ${C}>${S} SUBSCRIBE id=1`,
      `${T}.006000 ${C}>${S} PUBLISH id=1 q3 "a" 0`,
      `${T}.007000 ${C}>${S} PUBLISH q0 "ok/1" 4`,
      `${T}.008000 ${C}>${S} RESERVED`,
      `${T}.009000 ${C}>${S} PUBLISH q0 "ok/2" 5`,
      `${T}.011000 ${S}>${C} PINGRESP`,
      `${T}.012000 ${C}>${S} DISCONNECT`,
    ]);
    expect(packets.filter((p) => p.packet === null).map((p) => p.error)).toEqual([
      expect.stringMatching(/header flag/i),
      expect.stringMatching(/QoS/),
      expect.any(String),
    ]);
  });

  it('WebSocket: packets split over frames and frames split over segments decode as one stream', () => {
    const W = '127.0.0.1:8080';
    expect(sniffFixture('websocket.pcap').rows.map(rowText)).toEqual([
      `${T}.005000 ${C}>${W} CONNECT v4 "ws-client"`,
      `${T}.006000 ${W}>${C} CONNACK rc=0`,
      `${T}.009000 ${C}>${W} PUBLISH id=1 q1 "ws/big" 1000`,
      `${T}.010000 ${W}>${C} PUBACK id=1`,
      `${T}.010000 ${W}>${C} PUBLISH q0 "ws/down" 3`,
      `${T}.011000 ${C}>${W} DISCONNECT`,
    ]);
  });

  it('retransmissions and reordering: each packet once, in stream order', () => {
    const { rows, sniffer } = sniffFixture('tcp-trouble.pcap');
    const pubs = rows.filter((r) => r.type === 'PUBLISH').map((r) => r.topic);
    expect(pubs).toEqual(['t/1', 't/2', 't/3', 't/4', 't/5']);
    expect(rows.filter((r) => r.type === 'DISCONNECT')).toHaveLength(1);
    // s2 again, the overlap's first 3 bytes, and the tail-loss probe after close
    expect(sniffer.counters.retransmittedSegments).toBeGreaterThanOrEqual(2);
  });

  it('v5 topic aliases resolve to the topic they stand for, per connection', () => {
    const { packets, rows } = sniffFixture('v5-properties.pcapng');
    const aliased = packets.filter((p) => p.packet?.cmd === 'publish' && p.packet.properties?.topicAlias === 1);
    expect(aliased.map((p) => p.aliasTopic)).toEqual(['v5/t', 'v5/t']);
    expect(rows.filter((r) => r.type === 'PUBLISH').map((r) => r.topic)).toEqual(['v5/t', 'v5/t', 'v5/t']);
    expect(packets.every((p) => p.conn.protocolVersion === 5)).toBe(true);
  });

  it('link types and MQTT on a port nobody named: found by its CONNECT', () => {
    const { rows, packets } = sniffFixture('link-types.pcapng');
    expect(rows.filter((r) => r.type === 'CONNECT').map((r) => r.dst)).toEqual([
      '10.0.0.1:1883', '10.0.1.1:1883', '10.0.2.1:1883', '10.0.3.1:1883', '10.0.4.1:18830',
    ]);
    // the SLL interface has ns resolution, the others µs; the offset since its first frame is 3 ms
    const sll = packets.find((p) => p.conn.clientHost === '10.0.1.2')!;
    expect([sll.at.sec, sll.at.nsec, sll.at.precision]).toEqual([1700000001, 126_456_000, 9]);
    expect(packets.find((p) => p.conn.clientHost === '10.0.2.2')!.at.precision).toBe(6);
  });
});
