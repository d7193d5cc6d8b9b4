/**
 * Writes capture files: classic pcap (µs or ns, either byte order) and pcapng (several interfaces
 * with their own link types and timestamp resolutions). Used to craft test captures byte by byte.
 */

export interface WrittenFrame {
  sec: number;
  nsec: number;
  data: Buffer;
  /** defaults to data.length; larger simulates a snaplen cut */
  origLen?: number;
  /** pcapng only: index of the interface (default 0) */
  iface?: number;
}

export interface ClassicOptions {
  linkType: number;
  nano?: boolean;
  bigEndian?: boolean;
  snapLen?: number;
}

/** The 24-byte file header of a classic pcap file. */
export function classicPcapHeader(opts: ClassicOptions): Buffer {
  const header = Buffer.alloc(24);
  const be = opts.bigEndian ?? false;
  (be ? header.writeUInt32BE : header.writeUInt32LE).call(header, opts.nano ? 0xa1b23c4d : 0xa1b2c3d4, 0);
  (be ? header.writeUInt16BE : header.writeUInt16LE).call(header, 2, 4);
  (be ? header.writeUInt16BE : header.writeUInt16LE).call(header, 4, 6);
  (be ? header.writeUInt32BE : header.writeUInt32LE).call(header, opts.snapLen ?? 262144, 16);
  (be ? header.writeUInt32BE : header.writeUInt32LE).call(header, opts.linkType >>> 0, 20);
  return header;
}

/** One record (16-byte header and a copy of the frame), ready to append to a classic pcap file. */
export function classicPcapRecord(f: WrittenFrame, opts: Omit<ClassicOptions, 'linkType'>): Buffer {
  const rec = Buffer.allocUnsafe(16 + f.data.length);
  const u32 = (opts.bigEndian ? rec.writeUInt32BE : rec.writeUInt32LE).bind(rec);
  u32(f.sec >>> 0, 0);
  u32((opts.nano ? f.nsec : Math.floor(f.nsec / 1000)) >>> 0, 4);
  u32(f.data.length, 8);
  u32((f.origLen ?? f.data.length) >>> 0, 12);
  f.data.copy(rec, 16);
  return rec;
}

export function writeClassicPcap(frames: readonly WrittenFrame[], opts: ClassicOptions): Buffer {
  return Buffer.concat([classicPcapHeader(opts), ...frames.map((f) => classicPcapRecord(f, opts))]);
}

export interface NgInterface {
  linkType: number;
  /** if_tsresol exponent of 10 (6 = µs, the default; 9 = ns) */
  tsresol?: number;
  snapLen?: number;
}

export interface PcapngOptions {
  interfaces: readonly NgInterface[];
  bigEndian?: boolean;
}

class NgWriter {
  readonly parts: Buffer[] = [];
  constructor(private readonly be: boolean) {}

  u32(v: number): Buffer {
    const b = Buffer.alloc(4);
    if (this.be) b.writeUInt32BE(v >>> 0);
    else b.writeUInt32LE(v >>> 0);
    return b;
  }

  u16(v: number): Buffer {
    const b = Buffer.alloc(2);
    if (this.be) b.writeUInt16BE(v);
    else b.writeUInt16LE(v);
    return b;
  }

  block(type: number, body: Buffer): void {
    const padded = Buffer.concat([body, Buffer.alloc((4 - (body.length % 4)) % 4)]);
    const len = 12 + padded.length;
    this.parts.push(this.u32(type), this.u32(len), padded, this.u32(len));
  }
}

export function writePcapng(frames: readonly WrittenFrame[], opts: PcapngOptions): Buffer {
  const w = new NgWriter(opts.bigEndian ?? false);
  const shb = Buffer.concat([w.u32(0x1a2b3c4d), w.u16(1), w.u16(0), Buffer.alloc(8, 0xff)]);
  w.block(0x0a0d0d0a, shb);
  for (const i of opts.interfaces) {
    const options: Buffer[] = [];
    if (i.tsresol !== undefined) options.push(w.u16(9), w.u16(1), Buffer.from([i.tsresol, 0, 0, 0]));
    if (options.length) options.push(w.u16(0), w.u16(0));
    w.block(1, Buffer.concat([w.u16(i.linkType), w.u16(0), w.u32(i.snapLen ?? 262144), ...options]));
  }
  for (const f of frames) {
    const iface = opts.interfaces[f.iface ?? 0]!;
    const units = BigInt(10) ** BigInt(iface.tsresol ?? 6);
    const ts = BigInt(f.sec) * units + (BigInt(f.nsec) * units) / 1_000_000_000n;
    const high = Number(ts >> 32n);
    const low = Number(ts & 0xffffffffn);
    const body = Buffer.concat([
      w.u32(f.iface ?? 0),
      w.u32(high),
      w.u32(low),
      w.u32(f.data.length),
      w.u32(f.origLen ?? f.data.length),
      f.data,
    ]);
    w.block(6, body);
  }
  return Buffer.concat(w.parts);
}
