/**
 * Number parsing with the C library's semantics, because mosquitto's clients validate their
 * arguments with atoi/atof/strtol: "-q abc" is QoS 0, "-p 4294967296" is port 0, "-x 0x10" is 16.
 * Matching that keeps our error texts (which print the parsed number) identical.
 */

const LONG_MAX = 2n ** 63n - 1n;
const LONG_MIN = -(2n ** 63n);
const C_SPACE = '[ \\t\\n\\v\\f\\r]*';

function clampLong(v: bigint): bigint {
  return v > LONG_MAX ? LONG_MAX : v < LONG_MIN ? LONG_MIN : v;
}

/** glibc atoi: (int)strtol(s, NULL, 10); no digits gives 0, overflow wraps through the int cast. */
export function atoi(s: string): number {
  const m = new RegExp(`^${C_SPACE}([+-]?)(\\d+)`).exec(s);
  if (!m) return 0;
  const v = clampLong(m[1] === '-' ? -BigInt(m[2]) : BigInt(m[2]));
  return Number(BigInt.asIntN(32, v));
}

/** atof: the longest decimal prefix (or inf/nan), 0 when there is none. */
export function atof(s: string): number {
  const m = new RegExp(`^${C_SPACE}([+-]?)(inf(?:inity)?|nan|(?:\\d+\\.?\\d*|\\.\\d+)(?:e[+-]?\\d+)?)`, 'i').exec(s);
  if (!m) return 0;
  const body = m[2].toLowerCase();
  const v = body.startsWith('inf') ? Infinity : body === 'nan' ? NaN : Number(body);
  return m[1] === '-' ? -v : v;
}

export interface StrtolResult {
  value: bigint;
  /** what follows the number; equal to the input when no digits were found */
  rest: string;
}

/** strtol(s, &end, 0): decimal, 0x hex or leading-0 octal, clamped to the range of a 64-bit long. */
export function strtolBase0(s: string): StrtolResult {
  const m = new RegExp(`^${C_SPACE}([+-]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9]\\d*)`).exec(s);
  if (!m) return { value: 0n, rest: s };
  const digits = m[2];
  const magnitude = /^0[xX]/.test(digits) ? BigInt(digits) : digits.length > 1 && digits[0] === '0' ? BigInt(`0o${digits.slice(1)}`) : BigInt(digits);
  return { value: clampLong(m[1] === '-' ? -magnitude : magnitude), rest: s.slice(m[0].length) };
}
