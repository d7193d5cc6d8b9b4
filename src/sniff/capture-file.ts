import type { Readable } from 'node:stream';
import { CaptureFormatError } from './capture-file-error.js';
import { captureBytes, type CompressionInfo } from './capture-compression.js';
import type { FrameSink } from './frame.js';
import { ClassicPcapParser, isClassicPcap } from './pcap-classic.js';
import { isPcapng, PcapngParser } from './pcapng.js';

export interface ReadResult {
  /** bytes at the end that did not form a whole record (a capture cut off while being written) */
  truncatedBytes: number;
  /** a gzip-compressed capture whose gzip stream ended early (also a cut-off capture) */
  gzipCutShort?: boolean;
}

/**
 * Streams a pcap or pcapng file chunk by chunk (a pipe from `tcpdump -w -` works too): memory stays
 * bounded by the largest record, not the file. Frames reach `sink` synchronously, in file order.
 */
export class CaptureFileReader {
  private parser: ClassicPcapParser | PcapngParser | null = null;
  private pending: Buffer = Buffer.alloc(0);

  constructor(
    private readonly sink: FrameSink,
    /** the bytes come out of gzip: said in the error when they are no capture either */
    private readonly gzip = false,
  ) {}

  push(chunk: Buffer): void {
    const buf = this.pending.length > 0 ? Buffer.concat([this.pending, chunk]) : chunk;
    if (!this.parser) {
      if (buf.length < 4) {
        this.pending = Buffer.from(buf);
        return;
      }
      if (isClassicPcap(buf)) this.parser = new ClassicPcapParser(this.sink);
      else if (isPcapng(buf)) this.parser = new PcapngParser(this.sink);
      else throw new CaptureFormatError(`not a pcap or pcapng capture file (unknown magic number${this.gzip ? ' inside the gzip data' : ''})`);
    }
    const pos = this.parser.parse(buf, 0);
    // copy the tail: `buf` may be the caller's chunk, and frames already handed out keep views of it
    this.pending = pos < buf.length ? Buffer.from(buf.subarray(pos)) : Buffer.alloc(0);
  }

  end(): ReadResult {
    if (!this.parser && this.pending.length > 0) {
      throw new CaptureFormatError('not a pcap or pcapng capture file (too short)');
    }
    return { truncatedBytes: this.pending.length };
  }
}

export interface ReadControl {
  /** set once no more frames are wanted; the input may then be destroyed under the reader */
  stopped: boolean;
  /** awaited between chunks: lets a slow output slow the reading down */
  pause?(): Promise<void>;
  /** bytes read so far, after each chunk */
  progress?(bytesRead: number): void;
}

/** Reads a whole stream through a CaptureFileReader, gunzipping it first when it is gzip. */
export async function readCaptureStream(input: Readable, sink: FrameSink, control?: ReadControl): Promise<ReadResult> {
  const compression: CompressionInfo = { gzip: false, cutShort: false };
  let reader: CaptureFileReader | undefined;
  // progress counts the bytes read from the input, so it compares with the file's size
  let bytesRead = 0;
  try {
    for await (const chunk of captureBytes(input, compression, (n) => (bytesRead += n))) {
      reader ??= new CaptureFileReader(sink, compression.gzip);
      reader.push(chunk);
      control?.progress?.(bytesRead);
      if (control?.stopped) return { truncatedBytes: 0 };
      await control?.pause?.();
    }
  } catch (err) {
    // a stop (Ctrl-C) destroys the input while the loop waits for it: that is no read error
    if (control?.stopped) return { truncatedBytes: 0 };
    throw err;
  }
  if (control?.stopped) return { truncatedBytes: 0 };
  const result = (reader ?? new CaptureFileReader(sink, compression.gzip)).end();
  return compression.cutShort ? { ...result, gzipCutShort: true } : result;
}
