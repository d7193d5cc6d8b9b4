/** Bytes collected before a write; the buffer has room beyond it so a line never straddles two. */
const CHUNK = 64 * 1024;
const CAPACITY = 2 * CHUNK;

/**
 * Text output with backpressure: lines collect as UTF-8 in one buffer and go out in large writes;
 * a reader of a capture file awaits `drained()` between chunks, so a slow pipe (`| less`) slows the
 * reading instead of growing memory without bound. A live capture has no chunks to wait between:
 * with `live`, what collected goes out once the packets of one burst are decoded, so lines appear
 * as the traffic does. Lines are encoded as they come (a string of 64 KB joined from thousands of
 * small pieces cost more to flatten and encode than the lines cost to make), and the hot path
 * (sniff-publish-bytes.ts) writes its bytes into `buf` directly through reserve() and commit().
 */
export class SniffOutput {
  /** where the next bytes go, from `pos`; a fresh one after a write the stream still holds */
  buf = Buffer.allocUnsafe(CAPACITY);
  pos = 0;
  private blocked = false;
  private flushScheduled = false;
  failed = false;

  constructor(
    private readonly stream: NodeJS.WritableStream = process.stdout,
    private readonly live = false,
  ) {
    stream.on('error', () => {
      // EPIPE (`| head`): stop producing output; the caller ends the capture
      this.failed = true;
    });
  }

  write(text: string): void {
    if (this.failed) return;
    // at most 3 bytes per UTF-16 unit: with that much room the whole line fits
    const most = text.length * 3;
    if (this.pos + most > CAPACITY) {
      this.flush();
      if (most > CAPACITY) {
        // a huge line (a -v payload): goes out on its own, after what came before it
        if (!this.stream.write(text)) this.blocked = true;
        return;
      }
    }
    this.commit(this.pos + this.buf.write(text, this.pos));
  }

  /** Room for `bytes` more bytes at `pos` in `buf` (flushing first if needed); false when a line that long cannot be written in place. */
  reserve(bytes: number): boolean {
    if (this.failed || bytes > CAPACITY) return false;
    if (this.pos + bytes > CAPACITY) this.flush();
    return true;
  }

  /** The bytes written into `buf` directly now end at `end`. */
  commit(end: number): void {
    this.pos = end;
    if (end >= CHUNK) this.flush();
    else if (this.live && !this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => {
        this.flushScheduled = false;
        this.flush();
      });
    }
  }

  flush(): void {
    if (this.pos === 0 || this.failed) return;
    const ok = this.stream.write(this.buf.subarray(0, this.pos));
    // nothing left queued (a file, /dev/null, a pipe with room): the stream is done with the bytes
    // and the buffer is ours again; otherwise it may still hold them
    if ((this.stream as { writableLength?: number }).writableLength !== 0) this.buf = Buffer.allocUnsafe(CAPACITY);
    this.pos = 0;
    if (!ok) this.blocked = true;
  }

  /** Resolves once the stream accepts more (at once when it is not backed up). */
  async drained(): Promise<void> {
    this.flush();
    if (!this.blocked || this.failed) return;
    await new Promise<void>((resolve) => {
      const done = () => {
        this.stream.off('drain', done);
        this.stream.off('error', done);
        resolve();
      };
      this.stream.on('drain', done);
      this.stream.on('error', done);
    });
    this.blocked = false;
  }
}
