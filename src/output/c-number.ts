/**
 * C's printf("%1.<P>g") for doubles, exact like glibc (correct rounding of the exact binary value,
 * ties to even), and cJSON 1.7.15's print_number built on it.
 */

const DBL_EPSILON = 2.220446049250313e-16;

/** The exact decimal digits of |d| (no leading zeros) and where the point goes: 0.DIGITS x 10^point. */
function exactDecimal(d: number): { digits: string; point: number } {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, Math.abs(d));
  const bits = view.getBigUint64(0);
  const biased = Number((bits >> 52n) & 0x7ffn);
  let mant = bits & 0xfffffffffffffn;
  let exp2: number;
  if (biased === 0) {
    exp2 = -1074;
  } else {
    mant |= 1n << 52n;
    exp2 = biased - 1075;
  }
  if (exp2 >= 0) {
    const digits = (mant << BigInt(exp2)).toString();
    return { digits, point: digits.length };
  }
  // mant / 2^k == mant * 5^k / 10^k
  const digits = (mant * 5n ** BigInt(-exp2)).toString();
  return { digits, point: digits.length + exp2 };
}

/** Rounds DIGITS to P significant digits, half to even (exact input, so ties are real ties). */
function roundDigits(digits: string, point: number, p: number): { digits: string; point: number } {
  if (digits.length <= p) return { digits: digits.padEnd(p, '0'), point };
  const head = digits.slice(0, p);
  const next = digits.charCodeAt(p) - 48;
  const restNonZero = /[1-9]/.test(digits.slice(p + 1));
  const lastOdd = (head.charCodeAt(p - 1) - 48) % 2 === 1;
  const up = next > 5 || (next === 5 && (restNonZero || lastOdd));
  if (!up) return { digits: head, point };
  const bumped = (BigInt(head) + 1n).toString();
  if (bumped.length > p) return { digits: bumped.slice(0, p), point: point + 1 };
  return { digits: bumped, point };
}

function stripZeros(s: string): string {
  return s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s;
}

const DBL_MIN = 2.2250738585072014e-308;

/** The significant digits of |d| rounded to P. */
function significant(d: number, p: number): { digits: string; point: number } {
  // Shortcut: for a normal double, half an ulp is below half a unit of the 15th digit, so when
  // JS's shortest round-trip form has <= 15 digits it is also the 15-digit rounding. Not true for
  // subnormals (5e-324 is 4.94065645841247e-324) nor for 17 digits.
  if (p <= 15 && Math.abs(d) >= DBL_MIN) {
    const m = /^(\d+)(?:\.(\d+))?(?:e([+-]\d+))?$/.exec(String(Math.abs(d)));
    if (m) {
      const all = m[1]! + (m[2] ?? '');
      const lead = all.length - all.replace(/^0+/, '').length;
      const trimmed = all.slice(lead).replace(/0+$/, '');
      const point = m[1]!.length + Number(m[3] ?? 0) - lead;
      if (trimmed.length <= p) return { digits: trimmed.padEnd(p, '0'), point };
    }
  }
  const exact = exactDecimal(d);
  return roundDigits(exact.digits, exact.point, p);
}

/** printf("%1.<p>g", d) for finite d. */
export function formatG(d: number, p: number): string {
  const sign = d < 0 || Object.is(d, -0) ? '-' : '';
  if (d === 0) return sign + '0';
  const { digits, point } = significant(d, p);
  const x = point - 1; // decimal exponent of the first digit
  if (x < -4 || x >= p) {
    const mantissa = stripZeros(digits[0] + '.' + digits.slice(1));
    const e = Math.abs(x);
    return `${sign}${mantissa}e${x < 0 ? '-' : '+'}${e < 10 ? '0' + e : e}`;
  }
  let fixed: string;
  if (point <= 0) fixed = '0.' + '0'.repeat(-point) + digits;
  else if (point >= digits.length) fixed = digits + '0'.repeat(point - digits.length);
  else fixed = digits.slice(0, point) + '.' + digits.slice(point);
  return sign + stripZeros(fixed);
}

/** cJSON print_number: "%1.15g" unless that does not read back within DBL_EPSILON, then "%1.17g". */
export function cjsonNumber(d: number): string {
  if (!Number.isFinite(d)) return 'null';
  // integers below 1e15 are printed exactly by %1.15g: skip the digit work
  if (Number.isInteger(d) && Math.abs(d) < 1e15) return Object.is(d, -0) ? '-0' : String(d);
  const s15 = formatG(d, 15);
  const back = Number(s15);
  const maxVal = Math.max(Math.abs(back), Math.abs(d));
  if (Math.abs(back - d) <= maxVal * DBL_EPSILON) return s15;
  return formatG(d, 17);
}
