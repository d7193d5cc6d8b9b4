/**
 * POSIX TZ strings ("CET-1CEST,M3.5.0,M10.5.0/3") evaluated the way glibc 2.36 does
 * (time/tzset.c), including its leniencies: a name that parses but an offset that does not still
 * names the zone ("Foo/Bar" -> "Foo" at UTC), and a missing rule means the US rules.
 */
import { isLeap } from './civil-time.js';

export interface ZoneState {
  gmtoff: number;
  isdst: boolean;
  abbr: string;
}

const enum RuleType {
  J0,
  J1,
  M,
}

interface TzRule {
  name: string;
  type: RuleType;
  m: number;
  n: number;
  d: number;
  secs: number;
  /** seconds east of UTC */
  offset: number;
}

export interface PosixTz {
  rules: [TzRule, TzRule];
  /** parse stopped after the names with no rule: glibc then borrows the posixrules file */
  wantsDefaultRules: boolean;
}

const SECSPERDAY = 86400;
const MON_YDAY = [
  [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334, 365],
  [0, 31, 60, 91, 121, 152, 182, 213, 244, 274, 305, 335, 366],
];

function blankRule(): TzRule {
  return { name: '', type: RuleType.J0, m: 0, n: 0, d: 0, secs: 0, offset: 0 };
}

const isAlpha = (c: string | undefined) => c !== undefined && /[A-Za-z]/.test(c);
const isDigit = (c: string | undefined) => c !== undefined && c >= '0' && c <= '9';

class Cursor {
  constructor(
    readonly s: string,
    public i = 0,
  ) {}
  /** a method, not a getter, so TypeScript does not narrow it across advances */
  c(): string | undefined {
    return this.s[this.i];
  }
}

function parseName(p: Cursor, rule: TzRule): boolean {
  let j = p.i;
  while (isAlpha(p.s[j])) j++;
  if (j - p.i >= 3) {
    rule.name = p.s.slice(p.i, j);
    p.i = j;
    return true;
  }
  if (p.s[p.i] !== '<') return false;
  const start = p.i + 1;
  j = start;
  while (j < p.s.length && /[A-Za-z0-9+-]/.test(p.s[j]!)) j++;
  if (p.s[j] !== '>' || j - start < 3) return false;
  rule.name = p.s.slice(start, j);
  p.i = j + 1;
  return true;
}

/** sscanf("%hu%n:%hu%n:%hu%n"): up to three numbers; how far it got. */
function scanHms(s: string, at: number): { vals: number[]; end: number } {
  const vals: number[] = [];
  let i = at;
  let end = at;
  for (let k = 0; k < 3; k++) {
    if (k > 0) {
      if (s[i] !== ':') break;
      i++;
    }
    // %hu skips white space and takes an optional sign
    while (s[i] === ' ' || s[i] === '\t') i++;
    let sign = 1;
    if (s[i] === '+' || s[i] === '-') sign = s[i++] === '-' ? -1 : 1;
    if (!isDigit(s[i])) break;
    let v = 0;
    while (isDigit(s[i])) v = v * 10 + Number(s[i++]);
    vals.push((sign * v) & 0xffff);
    end = i;
  }
  return { vals, end };
}

function parseOffset(p: Cursor, rules: [TzRule, TzRule], which: 0 | 1): boolean {
  const c = p.c();
  if (which === 0 && (c === undefined || (c !== '+' && c !== '-' && !isDigit(c)))) return false;
  let sign = -1;
  if (c === '-' || c === '+') {
    sign = c === '-' ? 1 : -1;
    p.i++;
  }
  const { vals, end } = scanHms(p.s, p.i);
  if (vals.length > 0) {
    const [hh, mm = 0, ss = 0] = vals as [number, number?, number?];
    rules[which].offset = sign * (Math.min(ss, 59) + Math.min(mm, 59) * 60 + Math.min(hh, 24) * 3600);
    p.i = end;
  } else if (which === 0) {
    rules[0].offset = 0;
    return false;
  } else {
    rules[1].offset = rules[0].offset + 3600;
  }
  return true;
}

function parseRule(p: Cursor, rule: TzRule, which: 0 | 1): boolean {
  if (p.c() === ',') p.i++;
  const c = p.c();
  if (c === 'J' || isDigit(c)) {
    rule.type = c === 'J' ? RuleType.J1 : RuleType.J0;
    if (rule.type === RuleType.J1 && !isDigit(p.s[++p.i])) return false;
    const m = /^\d+/.exec(p.s.slice(p.i));
    const d = m ? Number(m[0]) : NaN;
    if (!m || d > 365) return false;
    if (rule.type === RuleType.J1 && d === 0) return false;
    rule.d = d;
    p.i += m[0].length;
  } else if (c === 'M') {
    rule.type = RuleType.M;
    const m = /^M(\d+)\.(\d+)\.(\d+)/.exec(p.s.slice(p.i));
    if (!m) return false;
    rule.m = Number(m[1]) & 0xffff;
    rule.n = Number(m[2]) & 0xffff;
    rule.d = Number(m[3]) & 0xffff;
    if (rule.m < 1 || rule.m > 12 || rule.n < 1 || rule.n > 5 || rule.d > 6) return false;
    p.i += m[0].length;
  } else if (c === undefined) {
    // glibc's built-in default: the US rules, M3.2.0 and M11.1.0
    rule.type = RuleType.M;
    [rule.m, rule.n, rule.d] = which === 0 ? [3, 2, 0] : [11, 1, 0];
  } else {
    return false;
  }
  if (p.c() !== undefined && p.c() !== '/' && p.c() !== ',') return false;
  if (p.c() === '/') {
    p.i++;
    if (p.c() === undefined) return false;
    const negative = p.c() === '-';
    if (negative) p.i++;
    const { vals, end } = scanHms(p.s, p.i);
    const [hh = 2, mm = 0, ss = 0] = vals;
    p.i = end;
    rule.secs = (negative ? -1 : 1) * (hh * 3600 + mm * 60 + ss);
  } else {
    rule.secs = 2 * 3600;
  }
  return true;
}

/** __tzset_parse_tz: never fails; a bad string leaves (possibly named) UTC. */
export function parsePosixTz(tz: string): PosixTz {
  const rules: [TzRule, TzRule] = [blankRule(), blankRule()];
  const p = new Cursor(tz);
  let wantsDefaultRules = false;
  if (parseName(p, rules[0]) && parseOffset(p, rules, 0)) {
    if (p.c() !== undefined) {
      if (parseName(p, rules[1])) {
        parseOffset(p, rules, 1);
        const rest = p.s.slice(p.i);
        if (rest === '' || rest === ',') wantsDefaultRules = true;
      }
      if (parseRule(p, rules[0], 0)) parseRule(p, rules[1], 1);
    } else {
      rules[1].name = rules[0].name;
      rules[1].offset = rules[0].offset;
    }
  }
  return { rules, wantsDefaultRules };
}

/** compute_change: when RULE takes effect in YEAR, in seconds since the epoch. */
function changeTime(rule: TzRule, year: number): number {
  let t = 0;
  if (year > 1970) {
    const y1 = year - 1;
    t =
      ((year - 1970) * 365 +
        (Math.trunc(y1 / 4) - Math.trunc(1970 / 4)) -
        (Math.trunc(y1 / 100) - Math.trunc(1970 / 100)) +
        (Math.trunc(y1 / 400) - Math.trunc(1970 / 400))) *
      SECSPERDAY;
  }
  const leap = isLeap(year) ? 1 : 0;
  switch (rule.type) {
    case RuleType.J1:
      t += (rule.d - 1) * SECSPERDAY;
      if (rule.d >= 60 && leap) t += SECSPERDAY;
      break;
    case RuleType.J0:
      t += rule.d * SECSPERDAY;
      break;
    case RuleType.M: {
      const myday = MON_YDAY[leap]!;
      t += myday[rule.m - 1]! * SECSPERDAY;
      // Zeller's congruence for the weekday of the 1st, with C's truncating division
      const m1 = ((rule.m + 9) % 12) + 1;
      const yy0 = rule.m <= 2 ? year - 1 : year;
      const yy1 = Math.trunc(yy0 / 100);
      const yy2 = yy0 % 100;
      let dow =
        (Math.trunc((26 * m1 - 2) / 10) + 1 + yy2 + Math.trunc(yy2 / 4) + Math.trunc(yy1 / 4) - 2 * yy1) % 7;
      if (dow < 0) dow += 7;
      let d = rule.d - dow;
      if (d < 0) d += 7;
      for (let i = 1; i < rule.n; i++) {
        if (d + 7 >= myday[rule.m]! - myday[rule.m - 1]!) break;
        d += 7;
      }
      t += d * SECSPERDAY;
      break;
    }
  }
  return t - rule.offset + rule.secs;
}

/** __tz_compute; YEAR is the UTC year of T, as glibc passes it. */
export function posixZoneAt(tz: PosixTz, t: number, utcYear: number): ZoneState {
  const [std, dst] = tz.rules;
  const c0 = changeTime(std, utcYear);
  const c1 = changeTime(dst, utcYear);
  // southern hemisphere: DST spans the new year
  const isdst = c0 > c1 ? t < c1 || t >= c0 : t >= c0 && t < c1;
  const r = isdst ? dst : std;
  return { gmtoff: r.offset, isdst, abbr: r.name };
}
