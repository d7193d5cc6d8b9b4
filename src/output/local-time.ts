/**
 * localtime() with glibc's reading of the TZ environment variable (time/tzset.c tzset_internal):
 * unset -> /etc/localtime; "" -> "Universal"; a leading ':' is dropped; the value is first tried
 * as a zone file (absolute, or under $TZDIR / /usr/share/zoneinfo), then as a POSIX TZ string.
 * Re-read on every call, like glibc does for localtime(), so changing process.env.TZ takes effect.
 */
import path from 'node:path';
import { breakDown, utcYear, type Tm } from './civil-time.js';
import { defaultRules, readTzFile, tzFileZoneAt, type TzFile } from './tz-file.js';
import { parsePosixTz, posixZoneAt, type PosixTz, type ZoneState } from './tz-posix.js';

const TZDEFAULT = '/etc/localtime';
const DEFAULT_TZDIR = '/usr/share/zoneinfo';

type Zone = { kind: 'file'; file: TzFile } | { kind: 'posix'; tz: PosixTz } | { kind: 'utc' };

function zoneFilePath(name: string, tzdir: string | undefined): string {
  return name.startsWith('/') ? name : path.join(tzdir || DEFAULT_TZDIR, name);
}

function resolveZone(tzEnv: string | undefined, tzdir: string | undefined): Zone {
  let tz = tzEnv === '' ? 'Universal' : tzEnv;
  if (tz?.startsWith(':')) tz = tz.slice(1);
  const name = tz ?? TZDEFAULT;
  const file = readTzFile(zoneFilePath(name, tzdir));
  if (file) return { kind: 'file', file };
  if (name === '' || name === TZDEFAULT) return { kind: 'utc' };
  const posix = parsePosixTz(name);
  if (posix.wantsDefaultRules) {
    const rules = readTzFile(zoneFilePath('posixrules', tzdir));
    const [std, dst] = posix.rules;
    const borrowed =
      rules &&
      defaultRules(
        rules,
        { gmtoff: std.offset, isdst: false, abbr: std.name },
        { gmtoff: dst.offset, isdst: true, abbr: dst.name },
      );
    if (borrowed) return { kind: 'file', file: borrowed };
  }
  return { kind: 'posix', tz: posix };
}

let cachedKey: string | undefined;
let cachedZone: Zone = { kind: 'utc' };

/** Like glibc's tzset_internal, re-resolves (and reads TZDIR) only when TZ changed. */
function currentZone(): Zone {
  const tz = process.env.TZ;
  const key = tz === undefined ? '\0unset' : tz;
  if (key !== cachedKey) {
    cachedZone = resolveZone(tz, process.env.TZDIR);
    cachedKey = key;
  }
  return cachedZone;
}

function zoneAt(zone: Zone, t: number): ZoneState {
  switch (zone.kind) {
    case 'file':
      return tzFileZoneAt(zone.file, t);
    case 'posix':
      return posixZoneAt(zone.tz, t, utcYear(t));
    case 'utc':
      return { gmtoff: 0, isdst: false, abbr: 'UTC' };
  }
}

let lastT = NaN;
let lastZone: Zone | undefined;
let lastTm: Tm | undefined;

/** localtime(t) for epoch seconds T in the zone TZ currently names. */
export function localTime(t: number): Tm {
  const zone = currentZone();
  // sub prints many messages within the same second: reuse the breakdown
  if (t === lastT && zone === lastZone && lastTm) return lastTm;
  const z = zoneAt(zone, t);
  lastTm = breakDown(t, z.gmtoff, z.isdst, z.abbr);
  lastT = t;
  lastZone = zone;
  return lastTm;
}
