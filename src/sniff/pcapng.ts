import { CaptureFormatError, MAX_RECORD_BYTES } from './capture-file-error.js';
import type { FrameSink } from './frame.js';

const SHB = 0x0a0d0d0a;
const IDB = 0x00000001;
const PB = 0x00000002; // obsolete Packet Block, still written by old tools
const SPB = 0x00000003;
const EPB = 0x00000006;
const BYTE_ORDER_MAGIC = 0x1a2b3c4d;
const OPT_IF_TSRESOL = 9;
const OPT_IF_TSOFFSET = 14;

export function isPcapng(head: Buffer): boolean {
  return head.length >= 4 && head.readUInt32LE(0) === SHB;
}

interface Interface {
  linkType: number;
  snapLen: number;
  /** timestamp units per second */
  unitsPerSec: bigint;
  /** 1e6 or 1e9 allow the fast number path; else 0 */
  fastDivisor: number;
  precision: number;
  offsetSec: number;
}

/**
 * pcapng: sections (each with its own byte order) of blocks; each Interface Description Block
 * declares a link type and timestamp resolution (default µs, dumpcap writes ns). Blocks we do not
 * need (statistics, name resolution, custom) are skipped by their length.
 */
export class PcapngParser {
  private little = true;
  private interfaces: Interface[] = [];
  private lastSec = 0;
  private lastNsec = 0;

  constructor(private readonly sink: FrameSink) {}

  parse(buf: Buffer, pos: number): number {
    while (buf.length - pos >= 12) {
      const rawType = buf.readUInt32LE(pos);
      if (rawType === SHB) {
        // the byte order of this section is only known from the magic inside the SHB
        const magicLe = buf.readUInt32LE(pos + 8);
        if (magicLe === BYTE_ORDER_MAGIC) this.little = true;
        else if (buf.readUInt32BE(pos + 8) === BYTE_ORDER_MAGIC) this.little = false;
        else throw new CaptureFormatError('corrupt pcapng section header (bad byte-order magic)');
      }
      const len = this.u32(buf, pos + 4);
      if (len < 12 || len % 4 !== 0 || len > MAX_RECORD_BYTES) {
        throw new CaptureFormatError(`corrupt pcapng block of length ${len} at byte ${pos}`);
      }
      if (buf.length - pos < len) break;
      const type = this.u32(buf, pos);
      const body = buf.subarray(pos + 8, pos + len - 4);
      if (type === SHB) this.interfaces = [];
      else if (type === IDB) this.interfaces.push(this.readInterface(body));
      else if (type === EPB) this.readPacket(body, false);
      else if (type === SPB) this.readSimple(body);
      else if (type === PB) this.readPacket(body, true);
      pos += len;
    }
    return pos;
  }

  private u32(buf: Buffer, at: number): number {
    return this.little ? buf.readUInt32LE(at) : buf.readUInt32BE(at);
  }

  private u16(buf: Buffer, at: number): number {
    return this.little ? buf.readUInt16LE(at) : buf.readUInt16BE(at);
  }

  private readInterface(body: Buffer): Interface {
    if (body.length < 8) throw new CaptureFormatError('corrupt pcapng interface block');
    const iface: Interface = {
      linkType: this.u16(body, 0),
      snapLen: this.u32(body, 4),
      unitsPerSec: 1_000_000n,
      fastDivisor: 1e6,
      precision: 6,
      offsetSec: 0,
    };
    for (let at = 8; at + 4 <= body.length; ) {
      const code = this.u16(body, at);
      const olen = this.u16(body, at + 2);
      if (code === 0) break;
      const value = body.subarray(at + 4, at + 4 + olen);
      if (code === OPT_IF_TSRESOL && olen >= 1) {
        const r = value[0]!;
        const exp = r & 0x7f;
        if (r & 0x80) {
          iface.unitsPerSec = 1n << BigInt(exp);
          iface.fastDivisor = 0;
          iface.precision = 9;
        } else {
          iface.unitsPerSec = 10n ** BigInt(exp);
          iface.fastDivisor = exp === 6 ? 1e6 : exp === 9 ? 1e9 : 0;
          iface.precision = Math.min(exp, 9);
        }
      } else if (code === OPT_IF_TSOFFSET && olen >= 8) {
        const hi = this.u32(value, this.little ? 4 : 0);
        const lo = this.u32(value, this.little ? 0 : 4);
        iface.offsetSec = hi * 2 ** 32 + lo;
      }
      at += 4 + ((olen + 3) & ~3);
    }
    return iface;
  }

  private iface(id: number): Interface {
    const iface = this.interfaces[id];
    if (!iface) throw new CaptureFormatError(`pcapng packet refers to undeclared interface ${id}`);
    return iface;
  }

  private emit(iface: Interface, high: number, low: number, data: Buffer, origLen: number): void {
    let sec: number;
    let nsec: number;
    const ts = high * 4294967296 + low;
    if (iface.fastDivisor !== 0 && ts <= Number.MAX_SAFE_INTEGER) {
      sec = Math.floor(ts / iface.fastDivisor);
      nsec = (ts - sec * iface.fastDivisor) * (1e9 / iface.fastDivisor);
    } else {
      // nanosecond timestamps of today exceed 2^53: exact division needs BigInt
      const big = (BigInt(high) << 32n) | BigInt(low);
      sec = Number(big / iface.unitsPerSec);
      nsec = Number(((big % iface.unitsPerSec) * 1_000_000_000n) / iface.unitsPerSec);
    }
    sec += iface.offsetSec;
    this.lastSec = sec;
    this.lastNsec = nsec;
    this.sink({ linkType: iface.linkType, sec, nsec, precision: iface.precision, data, origLen });
  }

  /**
   * Enhanced Packet Block, or the obsolete Packet Block: the same layout after the interface id,
   * which the old block keeps in 16 bits (followed by a drop count).
   */
  private readPacket(body: Buffer, obsolete: boolean): void {
    const what = obsolete ? 'packet block' : 'enhanced packet block';
    if (body.length < 20) throw new CaptureFormatError(`corrupt pcapng ${what}`);
    const iface = this.iface(obsolete ? this.u16(body, 0) : this.u32(body, 0));
    const capLen = this.u32(body, 12);
    if (20 + capLen > body.length) throw new CaptureFormatError(`corrupt pcapng ${what}`);
    this.emit(iface, this.u32(body, 4), this.u32(body, 8), body.subarray(20, 20 + capLen), this.u32(body, 16));
  }

  private readSimple(body: Buffer): void {
    if (body.length < 4) throw new CaptureFormatError('corrupt pcapng simple packet block');
    const iface = this.iface(0);
    const origLen = this.u32(body, 0);
    const capLen = Math.min(origLen, iface.snapLen || origLen, body.length - 4);
    // a Simple Packet Block has no timestamp: it inherits the previous packet's time
    this.sink({
      linkType: iface.linkType,
      sec: this.lastSec,
      nsec: this.lastNsec,
      precision: iface.precision,
      data: body.subarray(4, 4 + capLen),
      origLen,
    });
  }
}
