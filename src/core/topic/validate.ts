/**
 * Topic name and topic filter rules (MQTT 3.1.1 / 5.0 section 4.7, shared subscriptions 4.8.2) and
 * the UTF-8 Encoded String rules of section 1.5.4, shared by the CLI, the broker and sniff.
 * Validators return null when valid, else a short English reason.
 */

export const MAX_TOPIC_BYTES = 65535;

export interface Utf8Options {
  /**
   * Also reject what the spec only says SHOULD NOT appear: control characters U+0001..U+001F,
   * U+007F..U+009F and non-characters. Mosquitto's mosquitto_validate_utf8() rejects them.
   */
  strict?: boolean;
}

function disallowedCodePoint(cp: number, strict: boolean): string | null {
  // [MQTT-1.5.4-2] no U+0000 anywhere in a UTF-8 Encoded String
  if (cp === 0) return 'contains the null character U+0000';
  if (!strict) return null;
  if (cp <= 0x1f || (cp >= 0x7f && cp <= 0x9f)) return 'contains a control character';
  if ((cp >= 0xfdd0 && cp <= 0xfdef) || (cp & 0xfffe) === 0xfffe) return 'contains a non-character';
  return null;
}

/**
 * Checks raw bytes as an MQTT UTF-8 Encoded String body: well-formed UTF-8 with no overlong forms,
 * no surrogates, nothing above U+10FFFF [MQTT-1.5.4-1] and no U+0000 [MQTT-1.5.4-2]. A BOM
 * (EF BB BF) is an ordinary U+FEFF and stays valid [MQTT-1.5.4-3].
 */
export function validateUtf8(bytes: Uint8Array, options: Utf8Options = {}): string | null {
  const strict = options.strict ?? false;
  const n = bytes.length;
  let i = 0;
  while (i < n) {
    const b = bytes[i];
    if (b < 0x80) {
      const bad = disallowedCodePoint(b, strict);
      if (bad) return bad;
      i++;
      continue;
    }
    let len: number;
    let cp: number;
    let min: number;
    if (b >= 0xc2 && b <= 0xdf) [len, cp, min] = [2, b & 0x1f, 0x80];
    else if ((b & 0xf0) === 0xe0) [len, cp, min] = [3, b & 0x0f, 0x800];
    else if (b >= 0xf0 && b <= 0xf4) [len, cp, min] = [4, b & 0x07, 0x10000];
    // 0x80..0xBF: stray continuation; 0xC0/0xC1: always overlong; 0xF5..0xFF: beyond U+10FFFF
    else return `invalid UTF-8 lead byte 0x${b.toString(16)} at offset ${i}`;
    if (i + len > n) return `truncated UTF-8 sequence at offset ${i}`;
    for (let k = 1; k < len; k++) {
      const c = bytes[i + k];
      if ((c & 0xc0) !== 0x80) return `invalid UTF-8 continuation byte at offset ${i + k}`;
      cp = (cp << 6) | (c & 0x3f);
    }
    // [MQTT-1.5.4-1] well-formed means shortest form, no UTF-16 surrogates, at most U+10FFFF
    if (cp < min) return `overlong UTF-8 encoding at offset ${i}`;
    if (cp >= 0xd800 && cp <= 0xdfff) return `UTF-16 surrogate encoded at offset ${i}`;
    if (cp > 0x10ffff) return `code point above U+10FFFF at offset ${i}`;
    const bad = disallowedCodePoint(cp, strict);
    if (bad) return bad;
    i += len;
  }
  return null;
}

/**
 * The same rules for a JS string about to be encoded: a lone surrogate would become U+FFFD on the
 * wire, silently changing the text, so it is rejected here [MQTT-1.5.4-1].
 */
export function validateUtf8String(s: string, options: Utf8Options = {}): string | null {
  const strict = options.strict ?? false;
  for (let i = 0; i < s.length; i++) {
    let cp = s.charCodeAt(i);
    if (cp >= 0xd800 && cp <= 0xdfff) {
      const next = s.charCodeAt(i + 1);
      if (cp > 0xdbff || !(next >= 0xdc00 && next <= 0xdfff)) return `lone UTF-16 surrogate at index ${i}`;
      cp = 0x10000 + ((cp - 0xd800) << 10) + (next - 0xdc00);
      i++;
    }
    const bad = disallowedCodePoint(cp, strict);
    if (bad) return bad;
  }
  return null;
}

function commonTopicChecks(s: string): string | null {
  // [MQTT-4.7.3-1] at least one character long
  if (s.length === 0) return 'must not be empty';
  // [MQTT-4.7.3-2] no null character; [MQTT-1.5.4-1] no lone surrogate
  const utf8 = validateUtf8String(s);
  if (utf8) return utf8;
  // [MQTT-4.7.3-3] must not encode to more than 65535 bytes
  // (a UTF-16 unit never takes more than 3 UTF-8 bytes, so short strings skip the count)
  if (s.length * 3 > MAX_TOPIC_BYTES && Buffer.byteLength(s, 'utf8') > MAX_TOPIC_BYTES) return `longer than ${MAX_TOPIC_BYTES} bytes`;
  return null;
}

/**
 * A Topic Name, as in PUBLISH or a will. (A v5 PUBLISH that relies on a topic alias has an empty
 * topic on the wire; callers resolve the alias before asking.)
 */
export function validateTopicName(topic: string): string | null {
  const common = commonTopicChecks(topic);
  if (common) return common;
  // [MQTT-4.7.1-1] wildcards are for filters only
  if (topic.includes('+') || topic.includes('#')) return "must not contain the wildcards '+' or '#'";
  return null;
}

export interface FilterOptions {
  /** MQTT 5: also check `$share/{ShareName}/{filter}` syntax (section 4.8.2) */
  shared?: boolean;
}

/** A Topic Filter, as in SUBSCRIBE or UNSUBSCRIBE. */
export function validateTopicFilter(filter: string, options: FilterOptions = {}): string | null {
  const common = commonTopicChecks(filter);
  if (common) return common;
  if (options.shared) {
    const shared = parseSharedSubscription(filter);
    if (shared && 'error' in shared) return shared.error;
  }
  const n = filter.length;
  for (let i = 0; i < n; i++) {
    const c = filter.charCodeAt(i);
    if (c !== 0x2b /* + */ && c !== 0x23 /* # */) continue;
    const alone = (i === 0 || filter.charCodeAt(i - 1) === 0x2f) && (i === n - 1 || filter.charCodeAt(i + 1) === 0x2f);
    // [MQTT-4.7.1-3] '+' must occupy an entire level
    if (c === 0x2b && !alone) return "'+' must occupy an entire topic level";
    // [MQTT-4.7.1-2] '#' must be on its own after a separator, and the last character
    if (c === 0x23 && (!alone || i !== n - 1)) return "'#' must be the last character, alone in its topic level";
  }
  return null;
}

export type SharedSubscription = { shareName: string; filter: string } | { error: string };

const SHARE_PREFIX = '$share/';

/**
 * Splits `$share/{ShareName}/{filter}`. Returns null when `filter` is not a shared subscription
 * (it does not start with "$share/"), the parts when it is well formed, else `{ error }`.
 * The inner filter is validated as a topic filter too.
 */
export function parseSharedSubscription(filter: string): SharedSubscription | null {
  if (!filter.startsWith(SHARE_PREFIX)) return null;
  const slash = filter.indexOf('/', SHARE_PREFIX.length);
  const shareName = filter.slice(SHARE_PREFIX.length, slash === -1 ? undefined : slash);
  // [MQTT-4.8.2-1] a ShareName at least one character long
  if (shareName.length === 0) return { error: 'shared subscription needs a non-empty share name' };
  // [MQTT-4.8.2-2] no '+' or '#' in the ShareName ('/' ends it), then '/' and a Topic Filter
  if (shareName.includes('+') || shareName.includes('#')) return { error: "share name must not contain '+' or '#'" };
  if (slash === -1) return { error: "shared subscription needs '/' and a topic filter after the share name" };
  const inner = filter.slice(slash + 1);
  const bad = validateTopicFilter(inner);
  if (bad) return { error: `shared subscription topic filter ${bad}` };
  return { shareName, filter: inner };
}
