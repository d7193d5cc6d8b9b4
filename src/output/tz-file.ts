/**
 * TZif zone files read and evaluated like glibc 2.36 (time/tzfile.c): the 64-bit block of v2+
 * files, the footer TZ string for instants at or after the last transition, and the
 * "posixrules" borrowing for TZ strings that name a DST zone without rules.
 * Leap-second ("right/") corrections are not applied.
 */
import { readFileSync } from 'node:fs';
import { utcYear } from './civil-time.js';
import { parsePosixTz, posixZoneAt, type PosixTz, type ZoneState } from './tz-posix.js';

interface TtInfo {
  offset: number;
  isdst: boolean;
  abbr: string;
  isstd: boolean;
  isgmt: boolean;
}

export interface TzFile {
  transitions: number[];
  typeIdx: number[];
  types: TtInfo[];
  /** footer TZ string, already parsed */
  footer: PosixTz | null;
}

function cString(b: Buffer, at: number): string {
  const end = b.indexOf(0, at);
  return b.toString('latin1', at, end < 0 ? b.length : end);
}

/** Parses a TZif file; null where glibc's __tzfile_read would "lose". */
export function parseTzif(b: Buffer): TzFile | null {
  let pos = 0;
  const header = () => {
    if (b.length < pos + 44 || b.toString('latin1', pos, pos + 4) !== 'TZif') return null;
    const h = {
      version: b[pos + 4]!,
      isgmt: b.readUInt32BE(pos + 20),
      isstd: b.readUInt32BE(pos + 24),
      leap: b.readUInt32BE(pos + 28),
      time: b.readUInt32BE(pos + 32),
      type: b.readUInt32BE(pos + 36),
      chars: b.readUInt32BE(pos + 40),
    };
    pos += 44;
    return h;
  };
  let h = header();
  if (!h || h.isstd > h.type || h.isgmt > h.type) return null;
  let width = 4;
  if (h.version !== 0) {
    pos += h.time * 5 + h.type * 6 + h.chars + h.leap * 8 + h.isstd + h.isgmt;
    h = header();
    if (!h || h.isstd > h.type || h.isgmt > h.type) return null;
    width = 8;
  }
  const need = h.time * (width + 1) + h.type * 6 + h.chars + h.leap * (width + 4) + h.isstd + h.isgmt;
  if (b.length < pos + need) return null;
  const transitions: number[] = [];
  for (let i = 0; i < h.time; i++, pos += width) {
    transitions.push(width === 8 ? Number(b.readBigInt64BE(pos)) : b.readInt32BE(pos));
  }
  const typeIdx: number[] = [];
  for (let i = 0; i < h.time; i++) {
    const idx = b[pos++]!;
    if (idx >= h.type) return null;
    typeIdx.push(idx);
  }
  const raw: Array<{ offset: number; isdst: number; idx: number }> = [];
  for (let i = 0; i < h.type; i++, pos += 6) {
    const isdst = b[pos + 4]!;
    const idx = b[pos + 5]!;
    if (isdst > 1 || idx > h.chars) return null;
    raw.push({ offset: b.readInt32BE(pos), isdst, idx });
  }
  const names = b.subarray(pos, pos + h.chars);
  pos += h.chars + h.leap * (width + 4);
  const types: TtInfo[] = raw.map((r, i) => ({
    offset: r.offset,
    isdst: r.isdst === 1,
    abbr: cString(names, r.idx),
    isstd: i < h!.isstd ? b[pos + i] !== 0 : false,
    isgmt: i < h!.isgmt ? b[pos + h!.isstd + i] !== 0 : false,
  }));
  pos += h.isstd + h.isgmt;
  let footer: PosixTz | null = null;
  if (width === 8 && b[pos] === 0x0a) {
    const end = b.indexOf(0x0a, pos + 1);
    const spec = b.toString('latin1', pos + 1, end < 0 ? b.length : end);
    if (spec !== '') footer = parsePosixTz(spec);
  }
  return { transitions, typeIdx, types, footer };
}

export function readTzFile(path: string): TzFile | null {
  try {
    return parseTzif(readFileSync(path));
  } catch {
    return null;
  }
}

/**
 * __tzfile_default: a TZ string such as "XYZ3ABC" borrows the transitions of the posixrules file,
 * shifted to the user's offsets (east of UTC), with the user's names.
 */
export function defaultRules(rules: TzFile, std: ZoneState, dst: ZoneState): TzFile | null {
  if (rules.types.length < 2) return null;
  // rule_stdoff / rule_dstoff: the offsets of the latest standard and DST types
  let ruleStd: number | undefined;
  let ruleDst: number | undefined;
  for (let i = rules.transitions.length - 1; i >= 0 && (ruleStd === undefined || ruleDst === undefined); i--) {
    const t = rules.types[rules.typeIdx[i]!]!;
    if (!t.isdst && ruleStd === undefined) ruleStd = t.offset;
    else if (t.isdst && ruleDst === undefined) ruleDst = t.offset;
  }
  if (rules.transitions.length === 0) ruleStd = ruleDst = rules.types[0]!.offset;
  ruleStd ??= 0;
  ruleDst ??= ruleStd;
  let wasDst = false;
  const transitions: number[] = [];
  const typeIdx: number[] = [];
  rules.transitions.forEach((at, i) => {
    const tt = rules.types[rules.typeIdx[i]!]!;
    typeIdx.push(tt.isdst ? 1 : 0);
    if (tt.isgmt) transitions.push(at);
    else if (wasDst && !tt.isstd) transitions.push(at + dst.gmtoff - ruleDst!);
    else transitions.push(at + std.gmtoff - ruleStd!);
    wasDst = tt.isdst;
  });
  const [t0, t1] = rules.types as [TtInfo, TtInfo];
  return {
    transitions,
    typeIdx,
    types: [
      { ...t0, offset: std.gmtoff, isdst: false, abbr: std.abbr },
      { ...t1, offset: dst.gmtoff, isdst: true, abbr: dst.abbr },
    ],
    // glibc keeps the posixrules footer (with its offsets and names) for instants past the table
    footer: rules.footer,
  };
}

/** __tzfile_compute for local time. */
export function tzFileZoneAt(f: TzFile, t: number): ZoneState {
  const n = f.transitions.length;
  let type: TtInfo;
  if (n === 0 || t < f.transitions[0]!) {
    // before any transition: the first non-DST type (or the first type)
    type = f.types.find((x) => !x.isdst) ?? f.types[0]!;
  } else if (t >= f.transitions[n - 1]! && f.footer) {
    return posixZoneAt(f.footer, t, utcYear(t));
  } else {
    let lo = 0;
    let hi = n;
    // largest i with transitions[i] <= t
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (f.transitions[mid]! <= t) lo = mid;
      else hi = mid;
    }
    type = f.types[f.typeIdx[lo]!]!;
  }
  return { gmtoff: type.offset, isdst: type.isdst, abbr: type.abbr };
}
