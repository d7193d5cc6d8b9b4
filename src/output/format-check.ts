/**
 * Up-front validation of a -F template, a twin of mosquitto 2.0's check_format (client_shared.c):
 * same acceptance and same messages (without the "Error: " prefix the CLI adds).
 * It works on the UTF-8 bytes, as the C code walks a char array.
 */
import { UsageError } from '../core/errors/input-errors.js';

/** Every character allowed after `%` in 2.0 (Linux build: %U is accepted). */
export const PERCENT_SPECIFIERS = new Set('%ACDEFIlmPpqRSrtjJUxX');
/** Every character allowed after `\`. */
export const ESCAPES: Record<string, number> = { '\\': 0x5c, '0': 0x00, a: 0x07, e: 0x1b, n: 0x0a, r: 0x0d, t: 0x09, v: 0x0b };

const isDigit = (c: number | undefined) => c !== undefined && c >= 0x30 && c <= 0x39;

/** The whole character starting at byte AT, for messages (C prints only its first byte). */
function charAt(b: Buffer, at: number): string {
  return String.fromCodePoint(b.subarray(at, at + 4).toString('utf8').codePointAt(0)!);
}

export function checkFormat(b: Buffer): void {
  const len = b.length;
  const incomplete = () => new UsageError('Incomplete format specifier.');
  for (let i = 0; i < len; i++) {
    const c = b[i];
    if (c === 0x25 /* % */) {
      // each flag, digit or '.' consumed must still leave a character for the specifier
      const step = () => {
        if (++i === len - 1) throw incomplete();
      };
      if (i === len - 1) throw incomplete();
      if (b[i + 1] === 0x30 || b[i + 1] === 0x2d) step();
      while (isDigit(b[i + 1])) step();
      if (b[i + 1] === 0x2e /* . */) {
        step();
        while (isDigit(b[i + 1])) step();
      }
      const spec = b[i + 1]!;
      if (spec >= 0x80 || !PERCENT_SPECIFIERS.has(String.fromCharCode(spec))) {
        throw new UsageError(`Invalid format specifier '${charAt(b, i + 1)}'.`);
      }
      i++;
    } else if (c === 0x40 /* @ */) {
      if (i === len - 1) throw incomplete();
      i++;
    } else if (c === 0x5c /* \ */) {
      if (i === len - 1) throw new UsageError('Incomplete escape specifier.');
      const e = b[i + 1]!;
      if (e >= 0x80 || !Object.hasOwn(ESCAPES, String.fromCharCode(e))) {
        throw new UsageError(`Invalid escape specifier '${charAt(b, i + 1)}'.`);
      }
      i++;
    }
  }
}
