import type { Readable } from 'node:stream';
import { CaptureFormatError } from './capture-file-error.js';
import type { FrameSink } from './frame.js';
import { ClassicPcapParser, isClassicPcap } from './pcap-classic.js';
import { isPcapng, PcapngParser } from './pcapng.js';

export interface ReadResult {
  /** bytes at the end that did not form a whole record (a capture cut off while being written) */
  truncatedBytes: number;
}

/**
 * Streams a pcap or pcapng file chunk by chunk (a pipe from `tcpdump -w -` works too): memory stays
 * bounded by the largest record, not the file. Frames reach `sink` synchronously, in file order.
 */
export class CaptureFileReader {
  private parser: ClassicPcapParser | PcapngParser | null = null;
  private pending: Buffer = Buffer.alloc(0);

  constructor(private readonly sink: FrameSink) {}

  push(chunk: Buffer): void {
    const buf = this.pending.length > 0 ? Buffer.concat([this.pending, chunk]) : chunk;
    if (!this.parser) {
      if (buf.length < 4) {
        this.pending = Buffer.from(buf);
        return;
      }
      if (isClassicPcap(buf)) this.parser = new ClassicPcapParser(this.sink);
      else if (isPcapng(buf)) this.parser = new PcapngParser(this.sink);
      else throw new CaptureFormatError('not a pcap or pcapng capture file (unknown magic number)');
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

/** Reads a whole stream through a CaptureFileReader. */
export async function readCaptureStream(input: Readable, sink: FrameSink, control?: ReadControl): Promise<ReadResult> {
  const reader = new CaptureFileReader(sink);
  let bytesRead = 0;
  try {
    for await (const chunk of input) {
      reader.push(chunk as Buffer);
      bytesRead += (chunk as Buffer).length;
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
  return reader.end();
}
