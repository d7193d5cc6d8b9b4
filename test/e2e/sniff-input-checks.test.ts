import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { runCmd, runMqtt, type RunResult } from '../helpers/cli.js';
import { describeIfTool } from '../helpers/peers.js';
import { captureDir } from '../helpers/sniff-files.js';
import { describeIfLiveCapture } from '../helpers/live-capture.js';
import { FIXTURE_DIR } from '../helpers/sniff-run.js';
import { rowText, sniffRows, tsharkRows } from '../helpers/sniff-rows.js';
import { readCaptureStream } from '../../src/sniff/capture-file.js';
import { LINKTYPE } from '../../src/sniff/link-types.js';
import { writePcapng } from '../../src/sniff/pcap-writer.js';
import { PcapngParser } from '../../src/sniff/pcapng.js';
import type { CapturedFrame } from '../../src/sniff/frame.js';

// Issue 10's small sniff defects: -r with -i, a link type we cannot decode, a capture-filter
// error's exit status (tcpdump's 1), and gzip-compressed captures (which tshark reads).

const fixture = (f: string) => path.join(FIXTURE_DIR, f);
const files = captureDir();
const lines = (r: RunResult) => r.stdout.toString().split('\n').filter(Boolean);

/** One clear line on stderr (the usage hint aside) and the exit status. */
function failure(r: RunResult): [number | null, string] {
  const errors = r.stderr.split('\n').filter((l) => l && !l.startsWith('Use '));
  expect(errors, r.stderr).toHaveLength(1);
  return [r.code, errors[0]!];
}

describe('mqtt sniff -r with -i', () => {
  it.each([['-r', 'FILE', '-i', 'lo'], ['-i', 'any', '-r', 'FILE'], ['-r', '-', '-i', 'eth0']])('%s %s %s %s is a usage error', async (...args) => {
    const argv = args.map((a) => (a === 'FILE' ? fixture('v311-session.pcap') : a));
    const iface = argv[argv.indexOf('-i') + 1];
    const r = await runMqtt(['sniff', ...argv]);
    expect(failure(r)).toEqual([1, `Error: -i ${iface} captures live; with -r the packets come from the file: give one or the other`]);
    expect(r.stdout.length).toBe(0);
  });

  it('-r alone still reads the file (the default interface is no conflict)', async () => {
    const r = await runMqtt(['sniff', '-r', fixture('v311-session.pcap'), '-q']);
    expect(r.code).toBe(0);
    expect(lines(r)).toHaveLength(18);
  });
});

describe('a link type mqtt sniff does not decode', () => {
  /** The Ethernet fixture as interface 0 of a pcapng, and frames of `linkType` on interface 1 between them. */
  function mixedCapture(linkType: number): Buffer {
    const frames: CapturedFrame[] = [];
    new PcapngParser((f) => frames.push({ ...f, data: Buffer.from(f.data) })).parse(readFileSync(fixture('v5-properties.pcapng')), 0);
    const written = frames.flatMap((f, i) => [
      { sec: f.sec, nsec: f.nsec, data: f.data, iface: 0 },
      { sec: f.sec, nsec: f.nsec + 1000, data: Buffer.from(`opaque frame ${i}`), iface: 1 },
    ]);
    const tsresol = frames[0]!.precision;
    return writePcapng(written, { interfaces: [{ linkType: frames[0]!.linkType, tsresol }, { linkType, tsresol }] });
  }

  it('is named once, and the frames of the other interface are still decoded', async () => {
    const plain = await runMqtt(['sniff', '-r', fixture('v5-properties.pcapng'), '-q']);
    const r = await runMqtt(['sniff', '-r', files('user0.pcapng', mixedCapture(147)), '-q']);
    expect(r.code).toBe(0);
    const notes = lines(r).filter((l) => l.includes('-- link type'));
    expect(notes).toHaveLength(1);
    expect(notes[0]).toMatch(/ -- link type USER0 \(147\) is not supported: its frames are skipped \(supported: NULL, EN10MB, RAW, LOOP, LINUX_SLL, IPV4, IPV6, LINUX_SLL2\)$/);
    expect(lines(r).filter((l) => !l.includes('-- link type'))).toEqual(lines(plain));
  });

  it('an unnamed link type by its number, as a JSON note', async () => {
    const r = await runMqtt(['sniff', '-r', files('lt999.pcapng', mixedCapture(999)), '-q', '--json', '--no-packets']);
    expect(r.code).toBe(0);
    const notes = lines(r).map((l) => JSON.parse(l) as Record<string, unknown>).filter((n) => n.note === 'capture');
    expect(notes).toHaveLength(1);
    expect(notes[0]!.message).toMatch(/^link type 999 is not supported/);
  });

  it('the link types we decode get no such note', async () => {
    const r = await runMqtt(['sniff', '-r', fixture('link-types.pcapng'), '-q']);
    expect(r.code).toBe(0);
    expect(r.stdout.toString()).not.toContain('-- link type');
    expect(LINKTYPE.LINUX_SLL2).toBe(276);
  });
});

describe('gzip-compressed captures, detected by their magic bytes', () => {
  const pcap = readFileSync(fixture('v311-session.pcap'));
  const pcapng = readFileSync(fixture('v5-properties.pcapng'));

  it.each([
    ['a .pcap.gz file', 'v311-session.pcap', 's.pcap.gz'],
    ['a .pcapng.gz file', 'v5-properties.pcapng', 's.pcapng.gz'],
    ['gzip under a name without .gz', 'v311-session.pcap', 'no-suffix.pcap'],
  ])('%s decodes to the same lines as the uncompressed file', async (_, name, gzName) => {
    const plain = await runMqtt(['sniff', '-r', fixture(name), '--json', '-q']);
    const r = await runMqtt(['sniff', '-r', files(gzName, gzipSync(readFileSync(fixture(name)))), '--json', '-q']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.toString()).toBe(plain.stdout.toString());
  });

  it('gzip on stdin', async () => {
    const plain = await runMqtt(['sniff', '-r', '-', '-q'], { input: pcapng });
    const r = await runMqtt(['sniff', '-r', '-', '-q'], { input: gzipSync(pcapng) });
    expect(r.code).toBe(0);
    expect(lines(r)).toEqual(lines(plain));
    expect(lines(r).length).toBeGreaterThan(5);
  });

  it('a pipe that hands the magic bytes over one at a time', async () => {
    const gz = gzipSync(pcap);
    const oneByOne = Readable.from((function* () {
      for (let i = 0; i < 8; i++) yield gz.subarray(i, i + 1);
      yield gz.subarray(8);
    })());
    const frames: CapturedFrame[] = [];
    const result = await readCaptureStream(oneByOne, (f) => frames.push(f));
    expect(result).toEqual({ truncatedBytes: 0 });
    const direct: CapturedFrame[] = [];
    await readCaptureStream(Readable.from([pcap]), (f) => direct.push(f));
    expect(frames.length).toBe(direct.length);
    expect(frames.length).toBeGreaterThan(10);
  });

  it('several gzip members one after the other (cat a.gz b.gz) read as one stream', async () => {
    const half = Math.floor(pcap.length / 2);
    const r = await runMqtt(['sniff', '-r', '-', '-q'], { input: Buffer.concat([gzipSync(pcap.subarray(0, half)), gzipSync(pcap.subarray(half))]) });
    expect(r.code).toBe(0);
    expect(lines(r)).toHaveLength(18);
  });

  it('a cut-off .pcap.gz: what was decompressed is decoded, one warning, exit 7', async () => {
    const gz = gzipSync(pcap);
    const r = await runMqtt(['sniff', '-r', files('cut.pcap.gz', gz.subarray(0, Math.floor(gz.length * 0.6))), '-q']);
    expect(r.code).toBe(7);
    expect(r.stderr).toMatch(/^Warning: the gzip-compressed capture ends before its gzip stream does( \(and inside a record: \d+ bytes ignored\))?: was it cut off\? Everything before was decoded\.\n$/);
    expect(lines(r).length).toBeGreaterThan(0);
    expect(lines(r).length).toBeLessThan(18);
  });

  it('corrupt gzip data, gzip of something else, and other compressions: one line, exit 3', async () => {
    const corrupt = gzipSync(pcap);
    corrupt.fill(0xff, 30, 60);
    expect(failure(await runMqtt(['sniff', '-r', files('corrupt.pcap.gz', corrupt), '-q']))).toEqual([3, expect.stringMatching(/^Error: corrupt gzip data: /)]);
    expect(failure(await runMqtt(['sniff', '-r', '-'], { input: gzipSync('hello world, not a capture') }))).toEqual([
      3,
      'Error: not a pcap or pcapng capture file (unknown magic number inside the gzip data)',
    ]);
    expect(failure(await runMqtt(['sniff', '-r', '-'], { input: Buffer.from('28b52ffd0000000000', 'hex') }))).toEqual([
      3,
      'Error: the capture is zstd-compressed, which mqtt sniff does not read: zstd -dc FILE | mqtt sniff -r -',
    ]);
  });

  describeIfTool(['tshark'], 'compared with tshark', () => {
    it('tshark and mqtt sniff read the same .pcapng.gz to the same packets', async () => {
      const file = files('tshark.pcapng.gz', gzipSync(pcapng));
      const r = await runMqtt(['sniff', '-r', file, '--json', '-q']);
      expect(r.code).toBe(0);
      const theirs = tsharkRows(file).map(rowText);
      expect(theirs.length).toBeGreaterThan(0);
      expect(sniffRows(r.stdout.toString()).map(rowText)).toEqual(theirs);
    });
  });
});

// live capture with a filter needs root and the cap binding; tcpdump is the reference
describeIfLiveCapture('a capture filter libpcap rejects exits 1, as tcpdump does', () => {
  // libpcap words these differently: only the first mentions the filter
  it.each(['tcp and', 'port nosuchservice', 'host nosuchhost.invalid', 'ether proto nosuch'])('%s', async (filter) => {
    const r = await runMqtt(['sniff', '-i', 'lo', '-q', filter], { timeoutMs: 10_000 });
    const [code, line] = failure(r);
    expect(line).toMatch(new RegExp(`^Error: invalid capture filter ${JSON.stringify(filter).replace(/[.]/g, '\\.')}: .+`));
    expect(code).toBe(1);
  });

  // cap's destructor ran from a GC callback and killed the process (exit 139, no error line) in
  // about 1 run in 20; each run is cheap, so 24 of them catch a regression most of the time
  it('24 runs in a row each print the error and exit 1, none dies of a signal', async () => {
    const runs = await Promise.all(Array.from({ length: 24 }, (_, i) => runMqtt(['sniff', '-i', 'lo', '-q', i % 2 ? 'tcp and' : 'port nosuchservice'], { timeoutMs: 20_000 })));
    expect(runs.map((r) => [r.code, r.signal, r.stderr.includes('invalid capture filter')])).toEqual(runs.map(() => [1, null, true]));
  });

  it('tcpdump exits 1 on the same filters', async () => {
    const r = await runCmd('tcpdump', ['-i', 'lo', '-c', '1', 'port nosuchservice'], { timeoutMs: 10_000 });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("unknown port 'nosuchservice'");
  });
});
