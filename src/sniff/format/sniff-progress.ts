/** How often the progress line may change: often enough to look alive, rarely enough to cost nothing. */
const INTERVAL_MS = 200;

const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;

/**
 * The progress of reading a large capture file, on one line of a terminal's stderr that rewrites
 * itself ("\r" and erase-line) and disappears at the end. The caller decides whether it is shown
 * (stderr a terminal, the file large, stdout not that same terminal).
 */
export class ReadProgress {
  private last = -Infinity;
  private shown = false;

  constructor(
    private readonly stream: { write(text: string): unknown },
    private readonly totalBytes: number,
    private readonly now: () => number = () => Date.now(),
  ) {}

  update(bytesRead: number, packets: number, force = false): void {
    const t = this.now();
    if (!force && t - this.last < INTERVAL_MS) return;
    this.last = t;
    const pct = this.totalBytes > 0 ? Math.min(100, Math.floor((bytesRead / this.totalBytes) * 100)) : 0;
    this.stream.write(`\r\x1b[K${String(pct).padStart(3)}% ${mb(bytesRead)} of ${mb(this.totalBytes)}, ${packets.toLocaleString('en-US')} MQTT packets`);
    this.shown = true;
  }

  /** Erases the line, so what is printed next starts clean. */
  clear(): void {
    if (this.shown) this.stream.write('\r\x1b[K');
    this.shown = false;
  }
}
