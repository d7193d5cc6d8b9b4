import { CaptureFormatError, MAX_RECORD_BYTES } from './capture-file-error.js';
import type { FrameSink } from './frame.js';

const MAGIC_US = 0xa1b2c3d4;
const MAGIC_NS = 0xa1b23c4d;
const FILE_HEADER = 24;
const RECORD_HEADER = 16;

/** Whether the first four bytes are a classic pcap magic in either byte order. */
export function isClassicPcap(head: Buffer): boolean {
  if (head.length < 4) return false;
  const le = head.readUInt32LE(0);
  const be = head.readUInt32BE(0);
  return le === MAGIC_US || le === MAGIC_NS || be === MAGIC_US || be === MAGIC_NS;
}

/**
 * Classic libpcap format: a 24-byte file header, then records of a 16-byte header and the frame.
 * `parse` consumes as many whole records as `buf` holds from `pos` and returns where it stopped, so
 * the caller can keep the partial tail for the next chunk.
 */
export class ClassicPcapParser {
  private little = true;
  private nano = false;
  private linkType = -1;

  constructor(private readonly sink: FrameSink) {}

  parse(buf: Buffer, pos: number): number {
    if (this.linkType < 0) {
      if (buf.length - pos < FILE_HEADER) return pos;
      const le = buf.readUInt32LE(pos);
      this.little = le === MAGIC_US || le === MAGIC_NS;
      const magic = this.little ? le : buf.readUInt32BE(pos);
      this.nano = magic === MAGIC_NS;
      // the upper bits of the link type field carry FCS information, not the type
      this.linkType = (this.little ? buf.readUInt32LE(pos + 20) : buf.readUInt32BE(pos + 20)) & 0x0fffffff;
      pos += FILE_HEADER;
    }
    const little = this.little;
    const precision = this.nano ? 9 : 6;
    const scale = this.nano ? 1 : 1000;
    while (buf.length - pos >= RECORD_HEADER) {
      const sec = little ? buf.readUInt32LE(pos) : buf.readUInt32BE(pos);
      const frac = little ? buf.readUInt32LE(pos + 4) : buf.readUInt32BE(pos + 4);
      const capLen = little ? buf.readUInt32LE(pos + 8) : buf.readUInt32BE(pos + 8);
      const origLen = little ? buf.readUInt32LE(pos + 12) : buf.readUInt32BE(pos + 12);
      if (capLen > MAX_RECORD_BYTES) throw new CaptureFormatError(`corrupt pcap record: ${capLen} bytes captured`);
      const end = pos + RECORD_HEADER + capLen;
      if (end > buf.length) break;
      this.sink({
        linkType: this.linkType,
        sec,
        nsec: frac * scale,
        precision,
        data: buf.subarray(pos + RECORD_HEADER, end),
        origLen,
      });
      pos = end;
    }
    return pos;
  }
}
