import { pipeline, Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { CaptureFormatError } from './capture-file-error.js';

/** gzip's magic bytes (RFC 1952): `.pcap.gz`, `.pcapng.gz`, or `gzip -c` into a pipe. */
const GZIP_MAGIC = [0x1f, 0x8b];

/** Compressions tshark reads that we do not: named, with the command that unpacks them. */
const OTHER_COMPRESSIONS: Array<{ magic: number[]; name: string; tool: string }> = [
  { magic: [0x28, 0xb5, 0x2f, 0xfd], name: 'zstd', tool: 'zstd -dc' },
  { magic: [0x04, 0x22, 0x4d, 0x18], name: 'lz4', tool: 'lz4 -dc' },
  { magic: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00], name: 'xz', tool: 'xz -dc' },
  { magic: [0x42, 0x5a, 0x68], name: 'bzip2', tool: 'bzip2 -dc' },
];

const startsWith = (buf: Buffer, magic: number[]) => magic.every((b, i) => buf[i] === b);

/** Set once the input turns out to be gzip, and if it ended before the gzip stream did. */
export interface CompressionInfo {
  gzip: boolean;
  /** the gzip stream ended early (a capture still being written, or a cut download) */
  cutShort: boolean;
}

/**
 * The bytes of a capture, gunzipped on the fly when the input starts with gzip's magic (tshark
 * does the same; the file name does not matter, so `gzip -c | mqtt sniff -r -` works). Streamed:
 * memory stays bounded by zlib's window and the chunk size. `onRawBytes` counts what was read from
 * the input itself, for a progress line measured against the file size.
 */
export async function* captureBytes(input: AsyncIterable<Buffer>, info: CompressionInfo, onRawBytes?: (n: number) => void): AsyncGenerator<Buffer> {
  const source = input[Symbol.asyncIterator]();
  let head: Buffer = Buffer.alloc(0);
  // enough bytes to tell the formats apart (a pipe may deliver them one at a time)
  while (head.length < 6) {
    const next = await source.next();
    if (next.done) break;
    onRawBytes?.(next.value.length);
    head = head.length === 0 ? next.value : Buffer.concat([head, next.value]);
  }
  const rest = async function* (): AsyncGenerator<Buffer> {
    if (head.length > 0) yield head;
    for (;;) {
      const next = await source.next();
      if (next.done) return;
      onRawBytes?.(next.value.length);
      yield next.value;
    }
  };
  if (!startsWith(head, GZIP_MAGIC)) {
    const other = OTHER_COMPRESSIONS.find((c) => startsWith(head, c.magic));
    if (other) throw new CaptureFormatError(`the capture is ${other.name}-compressed, which mqtt sniff does not read: ${other.tool} FILE | mqtt sniff -r -`);
    yield* rest();
    return;
  }
  info.gzip = true;
  const gunzip = createGunzip();
  // errors of either side end the iteration below with that error
  pipeline(Readable.from(rest(), { objectMode: false }), gunzip, () => {});
  try {
    for await (const chunk of gunzip) yield chunk as Buffer;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'Z_BUF_ERROR') {
      // "unexpected end of file": what was decompressed so far has been decoded
      info.cutShort = true;
      return;
    }
    if (typeof code === 'string' && code.startsWith('Z_')) throw new CaptureFormatError(`corrupt gzip data: ${(err as Error).message}`);
    throw err;
  }
}
