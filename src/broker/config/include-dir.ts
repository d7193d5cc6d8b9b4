import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** An included configuration file, read. */
export interface IncludedFile {
  path: string;
  /** bytes as read; decoded by the parser so malformed UTF-8 can name its line */
  data: Buffer;
}

/**
 * Mosquitto's order for include_dir files (src/conf_includedir.c scmp_p): case-insensitive, and
 * where two names differ only in case at a position, by the raw character there. So "B.conf"
 * comes before "b.conf", and both before "C.conf".
 */
export function compareIncludeNames(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const ca = a.charCodeAt(i);
    const cb = b.charCodeAt(i);
    if (ca === cb) continue;
    const ua = a[i]!.toUpperCase().charCodeAt(0);
    const ub = b[i]!.toUpperCase().charCodeAt(0);
    return ua !== ub ? ua - ub : ca - cb;
  }
  return a.length - b.length;
}

/**
 * The `.conf` files of a directory in the order Mosquitto reads them: names longer than ".conf"
 * that end in it, nothing else, no recursion. Throws node's error when the directory cannot be
 * read.
 */
export function readIncludeDir(dir: string): IncludedFile[] {
  const names = readdirSync(dir).filter((name) => name.length > 5 && name.endsWith('.conf'));
  return names.sort(compareIncludeNames).map((name) => {
    const file = path.join(dir, name);
    return { path: file, data: readFileSync(file) };
  });
}
