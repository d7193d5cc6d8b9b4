/** struct tm arithmetic (glibc's __offtime) without Date, so any offset and zone name works. */

export interface Tm {
  /** full year, e.g. 2026 */
  year: number;
  /** 0..11 */
  mon: number;
  /** 1..31 */
  mday: number;
  hour: number;
  min: number;
  sec: number;
  /** 0 = Sunday */
  wday: number;
  /** 0..365 */
  yday: number;
  isdst: boolean;
  /** seconds east of UTC */
  gmtoff: number;
  /** tm_zone: the abbreviation %Z prints (may be empty) */
  zone: string;
  /** seconds since the epoch this breakdown describes (what %s prints) */
  epoch: number;
}

export function isLeap(year: number): boolean {
  return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
}

/** Days since 1970-01-01 to year/month(1-12)/day, proleptic Gregorian (H. Hinnant's algorithm). */
function daysFromCivil(y: number, m: number, d: number): number {
  y -= m <= 2 ? 1 : 0;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/** Breaks T (epoch seconds) down as seen at GMTOFF seconds east of UTC. */
export function breakDown(t: number, gmtoff: number, isdst: boolean, zone: string): Tm {
  const local = t + gmtoff;
  const days = Math.floor(local / 86400);
  const rem = local - days * 86400;
  // civil from days (inverse of daysFromCivil)
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const mday = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  return {
    year,
    mon: month - 1,
    mday,
    hour: Math.floor(rem / 3600),
    min: Math.floor((rem % 3600) / 60),
    sec: rem % 60,
    wday: (((days + 4) % 7) + 7) % 7,
    yday: days - daysFromCivil(year, 1, 1),
    isdst,
    gmtoff,
    zone,
    epoch: t,
  };
}

/** The UTC year of T (glibc evaluates TZ rules for the UTC year). */
export function utcYear(t: number): number {
  return breakDown(t, 0, false, '').year;
}
