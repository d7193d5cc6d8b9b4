import { describe, expect, it } from 'vitest';
import { DirectionReassembler } from '../../src/sniff/tcp-reassembly.js';
import { CaptureFileReader } from '../../src/sniff/capture-file.js';
import type { CapturedFrame } from '../../src/sniff/frame.js';
import { writeClassicPcap, writePcapng } from '../../src/sniff/pcap-writer.js';

const at = (sec: number) => ({ sec, nsec: 0, precision: 6 });

function collect() {
  const out: string[] = [];
  const r = new DirectionReassembler({
    data: (b) => out.push(b.toString()),
    gap: (n) => out.push(`<gap ${n}>`),
  });
  return { r, out };
}

describe('TCP reassembly of one direction', () => {
  it('delivers across the 32-bit sequence wrap, reordered and retransmitted', () => {
    const { r, out } = collect();
    const isn = 0xfffffffd;
    r.syn(isn - 1);
    r.segment(isn, Buffer.from('abc'), 0, false, at(1)); // 0xfffffffd..0xffffffff
    r.segment(3, Buffer.from('ghi'), 0, false, at(2)); // after the wrap, early
    r.segment(0, Buffer.from('def'), 0, false, at(3)); // fills the hole
    r.segment(0, Buffer.from('def'), 0, false, at(4)); // retransmission
    expect(out).toEqual(['abc', 'def', 'ghi']);
    expect(r.retransmittedSegments).toBe(1);
  });

  it('a hole never filled becomes a gap after three seconds of capture time, not spliced bytes', () => {
    const { r, out } = collect();
    r.syn(99);
    r.segment(100, Buffer.from('aa'), 0, false, at(1));
    r.segment(110, Buffer.from('bb'), 0, false, at(1));
    r.segment(112, Buffer.from('cc'), 0, false, at(2));
    expect(out).toEqual(['aa']);
    r.segment(114, Buffer.from('dd'), 0, false, at(5));
    expect(out).toEqual(['aa', '<gap 8>', 'bb', 'cc', 'dd']);
    expect(r.gapBytes).toBe(8);
  });

  it('an ACK for bytes never seen declares the hole at once', () => {
    const { r, out } = collect();
    r.syn(0);
    r.segment(1, Buffer.from('x'), 0, false, at(1));
    r.segment(5, Buffer.from('y'), 0, false, at(1));
    r.acknowledged(6, at(1));
    expect(out).toEqual(['x', '<gap 3>', 'y']);
  });
});

describe('capture file reader', () => {
  const frames = [
    { sec: 1_700_000_000, nsec: 123_456_789, data: Buffer.from('one') },
    { sec: 1_700_000_001, nsec: 5_000, data: Buffer.from('second frame') },
  ];
  const read = (bytes: Buffer, chunk: number) => {
    const got: Array<Omit<CapturedFrame, 'data'> & { data: string }> = [];
    const reader = new CaptureFileReader((f) => got.push({ ...f, data: f.data.toString() }));
    for (let i = 0; i < bytes.length; i += chunk) reader.push(bytes.subarray(i, i + chunk));
    return { got, end: reader.end() };
  };

  it.each([
    ['pcap µs little-endian', writeClassicPcap(frames, { linkType: 1 }), 6, 123_456_000],
    ['pcap ns big-endian', writeClassicPcap(frames, { linkType: 1, nano: true, bigEndian: true }), 9, 123_456_789],
    ['pcapng default µs', writePcapng(frames, { interfaces: [{ linkType: 1 }] }), 6, 123_456_000],
    ['pcapng ns big-endian', writePcapng(frames, { interfaces: [{ linkType: 1, tsresol: 9 }], bigEndian: true }), 9, 123_456_789],
  ])('%s, whole or byte by byte', (_name, bytes, precision, nsec) => {
    for (const chunk of [1, 7, bytes.length]) {
      const { got, end } = read(bytes, chunk);
      expect(end.truncatedBytes).toBe(0);
      expect(got.map((f) => [f.linkType, f.sec, f.nsec, f.precision, f.data])).toEqual([
        [1, 1_700_000_000, nsec, precision, 'one'],
        [1, 1_700_000_001, 5_000, precision, 'second frame'],
      ]);
    }
  });

  it('reports a cut-off tail instead of failing', () => {
    const bytes = writeClassicPcap(frames, { linkType: 1 });
    const { got, end } = read(bytes.subarray(0, bytes.length - 4), 1000);
    expect(got).toHaveLength(1);
    expect(end.truncatedBytes).toBe(16 + 'second frame'.length - 4);
  });
});
