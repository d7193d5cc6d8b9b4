/**
 * A growable byte buffer for building one output record. Renderers write text and raw payload
 * bytes into it and copy the result out once, instead of concatenating many small Buffers, which
 * matters at the 100k messages/s `sub` is expected to print.
 */
export class ByteWriter {
  private buf: Buffer;
  private len = 0;

  constructor(initialSize = 512) {
    this.buf = Buffer.allocUnsafe(initialSize);
  }

  get length(): number {
    return this.len;
  }

  private reserve(extra: number): void {
    const need = this.len + extra;
    if (need <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < need) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.len);
    this.buf = next;
  }

  /** Text known to be ASCII or latin1 (digits, JSON punctuation, strftime output): a byte per char. */
  ascii(s: string): void {
    const n = s.length;
    this.reserve(n);
    // a JS loop beats the native call for the short strings that dominate
    if (n < 24) {
      const buf = this.buf;
      let at = this.len;
      for (let i = 0; i < n; i++) buf[at++] = s.charCodeAt(i);
      this.len = at;
    } else {
      this.len += this.buf.write(s, this.len, 'latin1');
    }
  }

  utf8(s: string): void {
    this.reserve(s.length * 3);
    this.len += this.buf.write(s, this.len, 'utf8');
  }

  bytes(b: Uint8Array, start = 0, end = b.length): void {
    const n = end - start;
    if (n <= 0) return;
    this.reserve(n);
    if (n < 24) {
      const buf = this.buf;
      let at = this.len;
      for (let i = start; i < end; i++) buf[at++] = b[i]!;
      this.len = at;
    } else {
      this.buf.set(b.subarray(start, end), this.len);
      this.len += n;
    }
  }

  byte(c: number): void {
    this.reserve(1);
    this.buf[this.len++] = c;
  }

  /** `count` copies of one byte (padding); nothing for count <= 0, like printf's `%*s`. */
  fill(c: number, count: number): void {
    if (count <= 0) return;
    this.reserve(count);
    this.buf.fill(c, this.len, this.len + count);
    this.len += count;
  }

  /** Drops what was written (after a failed render). */
  reset(): void {
    this.len = 0;
  }

  /** The bytes written so far as a fresh Buffer (callers may keep it); the writer is reset. */
  take(): Buffer {
    const out = Buffer.allocUnsafe(this.len);
    this.buf.copy(out, 0, 0, this.len);
    this.len = 0;
    return out;
  }
}
