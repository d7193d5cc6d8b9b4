/**
 * Text output with backpressure: lines collect into one string and go out in large writes; a reader
 * of a capture file awaits `drained()` between chunks, so a slow pipe (`| less`) slows the reading
 * instead of growing memory without bound. A live capture has no chunks to wait between: with
 * `live`, what collected goes out once the packets of one burst are decoded, so lines appear as the
 * traffic does.
 */
export class SniffOutput {
  private pending = '';
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
    this.pending += text;
    if (this.pending.length >= 64 * 1024) this.flush();
    else if (this.live && !this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => {
        this.flushScheduled = false;
        this.flush();
      });
    }
  }

  flush(): void {
    if (this.pending.length === 0 || this.failed) return;
    const ok = this.stream.write(this.pending);
    this.pending = '';
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
