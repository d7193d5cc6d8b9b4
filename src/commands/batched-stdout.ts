/**
 * Message output for sub: what is printed within one tick goes out in one write, so a burst of
 * small messages costs one syscall instead of thousands; flush() before exiting. The bytes are
 * the same as mosquitto_sub's per-message fflush, only fewer writes.
 */
export class BatchedStdout {
  private chunks: Buffer[] = [];
  private scheduled = false;
  private failed = false;
  private errorHandler?: () => void;

  constructor(private readonly stream: NodeJS.WriteStream = process.stdout) {
    stream.on('error', () => {
      // EPIPE and friends: mosquitto_sub disconnects when stdout fails (ferror)
      this.failed = true;
      this.errorHandler?.();
    });
  }

  onError(handler: () => void): void {
    this.errorHandler = handler;
  }

  write(buf: Buffer): void {
    if (this.failed || buf.length === 0) return;
    this.chunks.push(buf);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  flush(): void {
    this.scheduled = false;
    if (this.chunks.length === 0 || this.failed) return;
    const data = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
    this.chunks = [];
    this.stream.write(data);
  }

  /**
   * Flushes and resolves once everything written so far has reached the pipe or file: the caller
   * may exit the process next, and a pipe whose reader is slower than us (a 2 MB message into
   * `| consumer`) still holds the rest in Node's buffer.
   */
  finish(): Promise<void> {
    this.flush();
    if (this.failed || this.stream.writableLength === 0) return Promise.resolve();
    return new Promise((resolve) => this.stream.write(Buffer.alloc(0), () => resolve()));
  }
}
