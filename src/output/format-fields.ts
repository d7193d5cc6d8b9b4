/**
 * The padding primitives of sub_client_output.c, byte-exact: printf("%*d") family for integer
 * fields, printf("%*.*s") for strings (widths count bytes, precision cuts bytes, even inside a
 * UTF-8 sequence), and write_payload with its 2.0.x quirks.
 */
import type { ByteWriter } from './byte-writer.js';

export interface FieldSpec {
  /** '-' left-aligns */
  left: boolean;
  /** '0' or ' ': what right-aligned integers, payloads and blanks pad with */
  pad: number;
  width: number;
  /** -1 = none */
  precision: number;
}

const SPACE = 0x20;

/** formatted_print_int */
export function writeInt(w: ByteWriter, value: number, f: FieldSpec): void {
  const text = String(value);
  if (f.width === 0 || text.length >= f.width) {
    w.ascii(text);
  } else if (f.left) {
    w.ascii(text);
    w.fill(SPACE, f.width - text.length);
  } else if (f.pad === 0x30) {
    // "%0*d": zeros go between the sign and the digits
    const neg = value < 0;
    if (neg) w.byte(0x2d);
    w.fill(0x30, f.width - text.length);
    w.ascii(neg ? text.slice(1) : text);
  } else {
    w.fill(SPACE, f.width - text.length);
    w.ascii(text);
  }
}

/** formatted_print_str over the C string's bytes. */
export function writeStr(w: ByteWriter, bytes: Uint8Array, f: FieldSpec): void {
  const n = f.precision >= 0 ? Math.min(f.precision, bytes.length) : bytes.length;
  const padding = f.width - n;
  if (!f.left) w.fill(SPACE, padding);
  w.bytes(bytes, 0, n);
  if (f.left) w.fill(SPACE, padding);
}

/** formatted_print_blank: what absent v5 properties print (C, and integer ones with their pad). */
export function writeBlank(w: ByteWriter, pad: number, width: number): void {
  w.fill(pad, width);
}

/**
 * write_payload. A width is also a maximum (the payload is cut to `width` bytes) and, in 2.0.x,
 * hex output then halves that byte count: "%10x" of "hi" prints "68" padded to 10.
 * Left alignment always pads with spaces, right alignment with the pad character.
 */
export function writePayload(w: ByteWriter, payload: Uint8Array, hex: 0 | 1 | 2, f: FieldSpec): void {
  let len = payload.length;
  let padlen: number;
  if (f.width > 0) {
    if (len > f.width) len = f.width;
    if (hex > 0) {
      len = Math.trunc(len / 2);
      padlen = f.width - len * 2;
    } else {
      padlen = f.width - len;
    }
  } else {
    padlen = -len;
  }
  if (!f.left) w.fill(f.pad, padlen);
  if (hex === 0) {
    w.bytes(payload, 0, len);
  } else {
    const text = Buffer.from(payload.buffer, payload.byteOffset, len).toString('hex');
    w.ascii(hex === 1 ? text : text.toUpperCase());
  }
  if (f.left) w.fill(SPACE, padlen);
}

/** A JS string as the C string mosquitto would print: UTF-8, ending at the first NUL. */
export function cStringBytes(s: string): Buffer {
  const b = Buffer.from(s, 'utf8');
  const nul = b.indexOf(0);
  return nul < 0 ? b : b.subarray(0, nul);
}
