/**
 * Bytes from the wire made safe to print: text when they are printable UTF-8 (JSON-quoted, so a
 * control character or an escape sequence in a payload cannot reach the terminal raw), else hex.
 */

// NUL..BS, VT..US minus CR, DEL: binary, not text (TAB, LF and CR are common in text payloads)
const BINARY = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/;

/**
 * A string as a JSON string literal. Topics and client ids are nearly always plain printable ASCII,
 * which needs no escaping: checked by a loop, that case skips JSON.stringify (it runs per packet).
 */
export function jsonString(s: string): string {
  if (s.length > 256) return JSON.stringify(s);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || c === 0x22 || c === 0x5c) return JSON.stringify(s);
  }
  return `"${s}"`;
}

/** Whether every byte is printable ASCII other than '"' and '\\': text that needs no escaping. */
function plainAscii(bytes: Buffer): boolean {
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i]!;
    if (c < 0x20 || c > 0x7e || c === 0x22 || c === 0x5c) return false;
  }
  return true;
}

/** The bytes as a string when they are printable UTF-8, else null. */
export function printableText(bytes: Buffer): string | null {
  const text = bytes.toString('utf8');
  return text.includes('\ufffd') || BINARY.test(text) ? null : text;
}

/**
 * `"text"` or `0x0a0b…`, at most `limit` bytes, with "…" when there were more. A cut can split a
 * UTF-8 sequence; the preview then falls back to hex, which is still the truth.
 */
export function bytesText(bytes: Buffer, limit = Infinity): string {
  const shown = bytes.length > limit ? bytes.subarray(0, limit) : bytes;
  if (plainAscii(shown)) return `"${shown.toString('latin1')}"${bytes.length > limit ? '…' : ''}`;
  const text = printableText(shown);
  const body = text !== null ? JSON.stringify(text) : `0x${shown.toString('hex')}`;
  return bytes.length > limit ? `${body}…` : body;
}

export const PASSWORD_MASK = '****';

/** A CONNECT password for a human: masked unless asked for. */
export function passwordText(password: Buffer, show: boolean): string {
  return show ? bytesText(password) : PASSWORD_MASK;
}

/** A CONNECT password for JSON: masked unless asked for; text, or "0x…" hex when not printable. */
export function passwordValue(password: Buffer, show: boolean): string {
  if (!show) return PASSWORD_MASK;
  return printableText(password) ?? `0x${password.toString('hex')}`;
}

/** Buffers inside properties print as hex, not as {"type":"Buffer","data":[…]}. */
export function propertyReplacer(_key: string, value: unknown): unknown {
  if (value && typeof value === 'object' && (value as { type?: string }).type === 'Buffer') {
    return Buffer.from((value as { data: number[] }).data).toString('hex');
  }
  return value;
}
