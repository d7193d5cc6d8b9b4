/**
 * The parts of cJSON 1.7.15 that mosquitto_sub's %j/%J output goes through (Debian builds 2.0.11
 * against it), reproduced byte for byte:
 * - strings are C strings: they end at the first NUL, bytes >= 0x80 pass through unchanged (even
 *   invalid UTF-8) and only `"`, `\` and bytes < 0x20 are escaped (\b \f \n \r \t, else \u00xx);
 * - the parser is cJSON's lenient one (numbers via strtod, any byte <= 0x20 is white space,
 *   "\uZZZZ" decodes to NUL, duplicate keys kept, nesting limit 1000);
 * - printing: compact, or cJSON_Print's tab-indented form.
 */
import type { ByteWriter } from './byte-writer.js';
import { cjsonNumber } from './c-number.js';

export type CJson =
  | { kind: 'null' }
  | { kind: 'false' }
  | { kind: 'true' }
  | { kind: 'number'; value: number }
  /** raw bytes; printing stops at the first NUL as cJSON's C strings do */
  | { kind: 'string'; bytes: Uint8Array }
  | { kind: 'array'; items: CJson[] }
  | { kind: 'object'; entries: Array<[Uint8Array, CJson]> };

const NESTING_LIMIT = 1000;
const Q = 0x22;
const BS = 0x5c;
const HEX = '0123456789abcdef';
const SHORT_ESCAPES: Record<number, number> = { 0x08: 0x62, 0x0c: 0x66, 0x0a: 0x6e, 0x0d: 0x72, 0x09: 0x74 };

/** print_string_ptr over bytes: one pass finds both the NUL end and what needs escaping. */
export function writeCString(w: ByteWriter, s: Uint8Array): void {
  w.byte(Q);
  let from = 0;
  let i = 0;
  for (; i < s.length; i++) {
    const c = s[i]!;
    if (c > 31 && c !== Q && c !== BS) continue;
    w.bytes(s, from, i);
    if (c === 0) break;
    from = i + 1;
    w.byte(BS);
    const short = c === Q || c === BS ? c : SHORT_ESCAPES[c];
    if (short !== undefined) w.byte(short);
    else w.ascii('u00' + HEX[c >> 4]! + HEX[c & 15]!);
  }
  if (i === s.length) w.bytes(s, from, i);
  w.byte(Q);
}

/** The same for a JS string (UTF-8), skipping the encode step for plain printable ASCII. */
export function writeCStringText(w: ByteWriter, s: string): void {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || c === Q || c === BS) {
      writeCString(w, Buffer.from(s, 'utf8'));
      return;
    }
  }
  w.byte(Q);
  w.ascii(s);
  w.byte(Q);
}

/**
 * print_object, member by member, so callers can stream an object without building a tree.
 * DEPTH is cJSON's printbuffer depth of the object itself (0 for the top level).
 */
export class CJsonObjectWriter {
  private first = true;

  constructor(
    private readonly w: ByteWriter,
    private readonly pretty: boolean,
    private readonly depth: number,
  ) {
    w.byte(0x7b);
    if (pretty) w.byte(0x0a);
  }

  /** Starts a member whose key is plain ASCII needing no escapes; write its value next. */
  key(name: string): void {
    this.separate();
    this.w.byte(Q);
    this.w.ascii(name);
    this.w.byte(Q);
    this.colon();
  }

  /** Starts a member keyed by a JS string (printed as its UTF-8 C string). */
  keyText(name: string): void {
    this.separate();
    writeCStringText(this.w, name);
    this.colon();
  }

  /** Starts a member with an arbitrary (C string) key. */
  keyBytes(name: Uint8Array): void {
    this.separate();
    writeCString(this.w, name);
    this.colon();
  }

  /** Depth to pass to values nested in this object. */
  get inner(): number {
    return this.depth + 1;
  }

  end(): void {
    if (this.pretty) {
      if (!this.first) this.w.byte(0x0a);
      this.w.fill(0x09, this.depth);
    }
    this.w.byte(0x7d);
  }

  private separate(): void {
    if (!this.first) {
      this.w.byte(0x2c);
      if (this.pretty) this.w.byte(0x0a);
    }
    this.first = false;
    if (this.pretty) this.w.fill(0x09, this.depth + 1);
  }

  private colon(): void {
    if (this.pretty) this.w.ascii(':\t');
    else this.w.byte(0x3a);
  }
}

/** print_value; DEPTH is cJSON's printbuffer depth (0 at the top). */
export function writeCJson(w: ByteWriter, v: CJson, pretty: boolean, depth = 0): void {
  switch (v.kind) {
    case 'null':
    case 'false':
    case 'true':
      w.ascii(v.kind);
      return;
    case 'number':
      w.ascii(cjsonNumber(v.value));
      return;
    case 'string':
      writeCString(w, v.bytes);
      return;
    case 'array':
      w.byte(0x5b);
      for (let i = 0; i < v.items.length; i++) {
        if (i > 0) {
          w.byte(0x2c);
          if (pretty) w.byte(0x20);
        }
        writeCJson(w, v.items[i]!, pretty, depth + 1);
      }
      w.byte(0x5d);
      return;
    case 'object': {
      const o = new CJsonObjectWriter(w, pretty, depth);
      for (const [key, value] of v.entries) {
        o.keyBytes(key);
        writeCJson(w, value, pretty, o.inner);
      }
      o.end();
      return;
    }
  }
}

class ParseError extends Error {}

function isNumberByte(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || c === 0x2b || c === 0x2d || c === 0x65 || c === 0x45 || c === 0x2e;
}

/** Recursive-descent twin of cJSON's parse_value over a NUL-free byte buffer. */
class Parser {
  pos = 0;
  depth = 0;
  constructor(readonly b: Uint8Array) {}

  fail(): never {
    throw new ParseError();
  }

  skipWs(): void {
    while (this.pos < this.b.length && this.b[this.pos]! <= 32) this.pos++;
  }

  literal(word: 'null' | 'false' | 'true'): CJson | undefined {
    for (let i = 0; i < word.length; i++) if (this.b[this.pos + i] !== word.charCodeAt(i)) return undefined;
    this.pos += word.length;
    return { kind: word };
  }

  value(): CJson {
    const c = this.b[this.pos];
    const word = c === 0x6e ? this.literal('null') : c === 0x66 ? this.literal('false') : c === 0x74 ? this.literal('true') : undefined;
    if (word) return word;
    if (c === Q) return { kind: 'string', bytes: this.string() };
    if (c === 0x2d || (c !== undefined && c >= 0x30 && c <= 0x39)) return this.number();
    if (c === 0x5b) return this.container(0x5d, () => this.value()) as CJson;
    if (c === 0x7b) return this.container(0x7d, () => this.member()) as CJson;
    return this.fail();
  }

  number(): CJson {
    // cJSON copies the run of [0-9+-eE.] (Debian's 1.7.15 has no length cap) and lets strtod take
    // what it can
    let end = this.pos;
    while (end < this.b.length && isNumberByte(this.b[end]!)) end++;
    let text = '';
    for (let i = this.pos; i < end; i++) text += String.fromCharCode(this.b[i]!);
    const m = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/.exec(text);
    if (!m) return this.fail();
    this.pos += m[0].length;
    return { kind: 'number', value: Number(m[0]) };
  }

  hex4(at: number): number {
    let h = 0;
    for (let i = 0; i < 4; i++) {
      const d = parseInt(String.fromCharCode(this.b[at + i] ?? 0x20), 16);
      // parse_hex4 returns 0 for any invalid digit
      if (Number.isNaN(d)) return 0;
      h = h * 16 + d;
    }
    return h;
  }

  string(): Uint8Array {
    let end = this.pos + 1;
    let escaped = false;
    while (end < this.b.length && this.b[end] !== Q) {
      if (this.b[end] === BS) {
        escaped = true;
        end += 2;
      } else {
        end++;
      }
    }
    if (end >= this.b.length) this.fail();
    if (!escaped) {
      // no escapes: the bytes between the quotes, without copying
      const view = this.b.subarray(this.pos + 1, end);
      this.pos = end + 1;
      return view;
    }
    const out: number[] = [];
    let i = this.pos + 1;
    while (i < end) {
      const c = this.b[i]!;
      if (c !== BS) {
        out.push(c);
        i++;
        continue;
      }
      const e = this.b[i + 1]!;
      const short = { 0x62: 0x08, 0x66: 0x0c, 0x6e: 0x0a, 0x72: 0x0d, 0x74: 0x09 }[e];
      if (short !== undefined) out.push(short);
      else if (e === Q || e === BS || e === 0x2f) out.push(e);
      else if (e === 0x75) {
        i += this.utf16(i, end, out) - 2;
      } else this.fail();
      i += 2;
    }
    this.pos = end + 1;
    return Uint8Array.from(out);
  }

  /** utf16_literal_to_utf8: returns the length of the escape consumed. */
  utf16(at: number, end: number, out: number[]): number {
    if (end - at < 6) this.fail();
    const first = this.hex4(at + 2);
    if (first >= 0xdc00 && first <= 0xdfff) this.fail();
    let cp = first;
    let len = 6;
    if (first >= 0xd800 && first <= 0xdbff) {
      const second = at + 6;
      if (end - second < 6 || this.b[second] !== BS || this.b[second + 1] !== 0x75) this.fail();
      const low = this.hex4(second + 2);
      if (low < 0xdc00 || low > 0xdfff) this.fail();
      cp = 0x10000 + (((first & 0x3ff) << 10) | (low & 0x3ff));
      len = 12;
    }
    out.push(...Buffer.from(String.fromCodePoint(cp), 'utf8'));
    return len;
  }

  member(): [Uint8Array, CJson] {
    if (this.b[this.pos] !== Q) this.fail();
    const key = this.string();
    this.skipWs();
    if (this.b[this.pos] !== 0x3a) this.fail();
    this.pos++;
    this.skipWs();
    return [key, this.value()];
  }

  container(close: number, element: () => CJson | [Uint8Array, CJson]): CJson {
    if (this.depth >= NESTING_LIMIT) this.fail();
    this.depth++;
    const isArray = close === 0x5d;
    const items: Array<CJson | [Uint8Array, CJson]> = [];
    this.pos++;
    this.skipWs();
    if (this.b[this.pos] !== close) {
      for (;;) {
        this.skipWs();
        items.push(element());
        this.skipWs();
        if (this.b[this.pos] !== 0x2c) break;
        this.pos++;
      }
      if (this.b[this.pos] !== close) this.fail();
    }
    this.pos++;
    this.depth--;
    return isArray
      ? { kind: 'array', items: items as CJson[] }
      : { kind: 'object', entries: items as Array<[Uint8Array, CJson]> };
  }
}

/**
 * What mosquitto_sub's %J accepts: cJSON_ParseWithOpts(payload, &end, true) and `end` must be the
 * end of the payload, so a payload with a NUL anywhere is rejected. undefined = not valid JSON.
 */
export function parseJsonPayload(payload: Uint8Array): CJson | undefined {
  if (payload.indexOf(0) >= 0) return undefined;
  const p = new Parser(payload);
  try {
    if (payload[0] === 0xef && payload[1] === 0xbb && payload[2] === 0xbf && payload.length >= 4) p.pos = 3;
    p.skipWs();
    const v = p.value();
    p.skipWs();
    return p.pos === payload.length ? v : undefined;
  } catch (e) {
    if (e instanceof ParseError) return undefined;
    throw e;
  }
}

/**
 * cJSON_Parse: the text is a C string (it ends at the first NUL) and whatever follows the first
 * value is not looked at, as Mosquitto's dynamic security plugin reads its file and its
 * $CONTROL payloads. undefined = not valid JSON.
 */
export function parseCJson(text: Uint8Array): CJson | undefined {
  const nul = text.indexOf(0);
  const p = new Parser(nul === -1 ? text : text.subarray(0, nul));
  try {
    if (text[0] === 0xef && text[1] === 0xbb && text[2] === 0xbf) p.pos = 3;
    p.skipWs();
    return p.value();
  } catch (e) {
    if (e instanceof ParseError) return undefined;
    throw e;
  }
}
