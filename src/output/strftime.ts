/**
 * glibc 2.36 strftime in the C locale (mosquitto_sub never calls setlocale), one conversion at a
 * time: mosquitto passes each `@X` of a -F template to strftime as the two-character format "%X".
 * Unknown conversions come back verbatim ("%q"), as glibc's bad_format path copies them; a lone
 * width digit 2..9 pads that copy to the width ("@5" -> "   %5").
 */
import { isLeap, type Tm } from './civil-time.js';

const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];

const pad2 = (n: number) => (n < 10 ? '0' + n : String(n));
const space2 = (n: number) => (n < 10 ? ' ' + n : String(n));
const pad3 = (n: number) => String(n).padStart(3, '0');
const hour12 = (h: number) => (h % 12 === 0 ? 12 : h % 12);

/** glibc iso_week_days: days since the Monday of ISO week 1 (negative: previous ISO year). */
function isoWeekDays(yday: number, wday: number): number {
  const big = (Math.trunc(366 / 7) + 2) * 7;
  return yday - ((yday - wday + 4 + big) % 7) + 4 - 1;
}

function isoWeek(tm: Tm): { year: number; week: number } {
  let year = tm.year;
  let days = isoWeekDays(tm.yday, tm.wday);
  if (days < 0) {
    year--;
    days = isoWeekDays(tm.yday + (365 + (isLeap(year) ? 1 : 0)), tm.wday);
  } else {
    const d = isoWeekDays(tm.yday - (365 + (isLeap(year) ? 1 : 0)), tm.wday);
    if (d >= 0) {
      year++;
      days = d;
    }
  }
  return { year, week: Math.trunc(days / 7) + 1 };
}

function gmtOffset(gmtoff: number): string {
  const sign = gmtoff < 0 ? '-' : '+';
  const mins = Math.trunc(Math.abs(gmtoff) / 60);
  return sign + String(Math.trunc(mins / 60) * 100 + (mins % 60)).padStart(4, '0');
}

/** Conversions whose text depends on the broken-down time; returns undefined for unknown ones. */
const CONVERSIONS: Record<string, (tm: Tm) => string> = {
  a: (tm) => DAYS[tm.wday]!.slice(0, 3),
  A: (tm) => DAYS[tm.wday]!,
  b: (tm) => MONTHS[tm.mon]!.slice(0, 3),
  h: (tm) => MONTHS[tm.mon]!.slice(0, 3),
  B: (tm) => MONTHS[tm.mon]!,
  c: (tm) => `${conv('a', tm)} ${conv('b', tm)} ${space2(tm.mday)} ${conv('T', tm)} ${tm.year}`,
  C: (tm) => pad2(Math.floor(tm.year / 100)),
  d: (tm) => pad2(tm.mday),
  D: (tm) => `${pad2(tm.mon + 1)}/${pad2(tm.mday)}/${pad2(((tm.year % 100) + 100) % 100)}`,
  e: (tm) => space2(tm.mday),
  F: (tm) => `${tm.year}-${pad2(tm.mon + 1)}-${pad2(tm.mday)}`,
  g: (tm) => pad2(((isoWeek(tm).year % 100) + 100) % 100),
  G: (tm) => String(isoWeek(tm).year),
  H: (tm) => pad2(tm.hour),
  I: (tm) => pad2(hour12(tm.hour)),
  j: (tm) => pad3(tm.yday + 1),
  k: (tm) => space2(tm.hour),
  l: (tm) => space2(hour12(tm.hour)),
  m: (tm) => pad2(tm.mon + 1),
  M: (tm) => pad2(tm.min),
  n: () => '\n',
  p: (tm) => (tm.hour < 12 ? 'AM' : 'PM'),
  P: (tm) => (tm.hour < 12 ? 'am' : 'pm'),
  r: (tm) => `${pad2(hour12(tm.hour))}:${pad2(tm.min)}:${pad2(tm.sec)} ${conv('p', tm)}`,
  R: (tm) => `${pad2(tm.hour)}:${pad2(tm.min)}`,
  s: (tm) => String(tm.epoch),
  S: (tm) => pad2(tm.sec),
  t: () => '\t',
  T: (tm) => `${pad2(tm.hour)}:${pad2(tm.min)}:${pad2(tm.sec)}`,
  u: (tm) => String(tm.wday === 0 ? 7 : tm.wday),
  U: (tm) => pad2(Math.trunc((tm.yday - tm.wday + 7) / 7)),
  V: (tm) => pad2(isoWeek(tm).week),
  w: (tm) => String(tm.wday),
  W: (tm) => pad2(Math.trunc((tm.yday - ((tm.wday - 1 + 7) % 7) + 7) / 7)),
  x: (tm) => conv('D', tm),
  X: (tm) => conv('T', tm),
  y: (tm) => pad2(((tm.year % 100) + 100) % 100),
  Y: (tm) => String(tm.year),
  z: (tm) => gmtOffset(tm.gmtoff),
  Z: (tm) => tm.zone,
  '%': () => '%',
};

function conv(c: string, tm: Tm): string {
  return CONVERSIONS[c]!(tm);
}

/** Whether "%C" is a conversion whose output depends on the time (else it is constant). */
export function isTimeConversion(c: string): boolean {
  return Object.hasOwn(CONVERSIONS, c);
}

/** The constant text glibc produces for a "%C" it does not know. */
export function unknownConversion(c: string): string {
  // "%5": the digit is a field width applied to the copied "%5"
  if (c >= '2' && c <= '9') return '%'.padStart(Number(c) - 1, ' ') + c;
  return '%' + c;
}

/** strftime(buf, 100, "%" + c, tm) for one known conversion character. */
export function strftime1(c: string, tm: Tm): string {
  return conv(c, tm);
}

/** strftime with a whole format of known conversions and literals, e.g. "%FT%T%z". */
export function strftime(format: string, tm: Tm): string {
  let out = '';
  for (let i = 0; i < format.length; i++) {
    const ch = format[i]!;
    if (ch === '%' && i + 1 < format.length) out += conv(format[++i]!, tm);
    else out += ch;
  }
  return out;
}
