import type { CJson } from '../../output/cjson.js';
import { validateUtf8 } from '../../core/topic/validate.js';

/**
 * Reading cJSON trees the way Mosquitto's dynamic security plugin does (json_help.c and
 * cJSON_GetObjectItem): keys match case-insensitively and the first match wins, strings are C
 * strings, numbers are read as C ints. Anything of the wrong type counts as absent or invalid,
 * never as an exception: a bad control payload only earns an error response.
 */

export type JObject = Extract<CJson, { kind: 'object' }>;

function lowerAscii(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length && b[i] !== 0; i++) {
    const c = b[i]!;
    s += String.fromCharCode(c >= 0x41 && c <= 0x5a ? c + 32 : c);
  }
  return s;
}

/** cJSON_GetObjectItem: the first member whose key equals NAME ignoring ASCII case. */
export function item(obj: CJson | undefined, name: string): CJson | undefined {
  if (obj?.kind !== 'object') return undefined;
  const want = name.toLowerCase();
  for (const [key, value] of obj.entries) if (lowerAscii(key) === want) return value;
  return undefined;
}

export function isObject(v: CJson | undefined): v is JObject {
  return v?.kind === 'object';
}

/** The bytes of a C string: up to the first NUL. */
function cBytes(v: Extract<CJson, { kind: 'string' }>): Uint8Array {
  const nul = v.bytes.indexOf(0);
  return nul === -1 ? v.bytes : v.bytes.subarray(0, nul);
}

const decoder = new TextDecoder();

/** A JSON string as text, or undefined when V is not a string. */
export function text(v: CJson | undefined): string | undefined {
  return v?.kind === 'string' ? decoder.decode(cBytes(v)) : undefined;
}

/** A string member: `missing` when absent, `invalid` when not a string (json_get_string). */
export type StringField = { ok: true; value: string | undefined; utf8: boolean } | { ok: false };

export function stringField(obj: CJson, name: string, optional: boolean): StringField {
  const v = item(obj, name);
  if (v === undefined) return optional ? { ok: true, value: undefined, utf8: true } : { ok: false };
  if (v.kind !== 'string') return { ok: false };
  const bytes = cBytes(v);
  // mosquitto_validate_utf8: well-formed, and no control characters or non-characters
  return { ok: true, value: decoder.decode(bytes), utf8: validateUtf8(bytes, { strict: true }) === null };
}

/** cJSON's valueint: the double saturated to a C int. */
export function cInt(value: number): number {
  if (value >= 2147483647) return 2147483647;
  if (value <= -2147483648) return -2147483648;
  return Math.trunc(value) || 0;
}

/** json_get_int with a default: a non-number leaves the default (callers ignore the error). */
export function intField(obj: CJson, name: string, fallback: number): number {
  const v = item(obj, name);
  return v?.kind === 'number' ? cInt(v.value) : fallback;
}

/** json_get_bool with a default. */
export function boolField(obj: CJson, name: string, fallback: boolean): boolean {
  const v = item(obj, name);
  if (v?.kind === 'true') return true;
  if (v?.kind === 'false') return false;
  return fallback;
}

export function isBool(v: CJson | undefined): boolean {
  return v?.kind === 'true' || v?.kind === 'false';
}

export function arrayItems(v: CJson | undefined): CJson[] | undefined {
  return v?.kind === 'array' ? v.items : undefined;
}

/** A plain value to print: what responses and the file are built from. */
export type Out = string | number | boolean | Out[] | { [key: string]: Out };

/** cJSON_PrintUnformatted of plain values (strings print as cJSON prints UTF-8 text). */
export function printCompact(v: Out): string {
  return JSON.stringify(v);
}

/**
 * cJSON_Print: tab indentation, "key":<tab>value, arrays on one line with ", " between items,
 * so a file we write looks like one Mosquitto wrote.
 */
export function printPretty(v: Out, depth = 0): string {
  if (Array.isArray(v)) return `[${v.map((x) => printPretty(x, depth + 1)).join(', ')}]`;
  if (typeof v === 'object') {
    const keys = Object.keys(v);
    const pad = '\t'.repeat(depth + 1);
    const body = keys.map((k) => `${pad}${JSON.stringify(k)}:\t${printPretty(v[k]!, depth + 1)}`).join(',\n');
    return `{\n${body}${keys.length > 0 ? '\n' : ''}${'\t'.repeat(depth)}}`;
  }
  return JSON.stringify(v);
}
