import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A single executable's embedded file (a native addon, a module to require) as a file on disk:
 * written once to a content-addressed cache folder, $XDG_CACHE_HOME/mqtt/<sha256>/<name>, and
 * checked on every use, not trusted by name: a changed file is replaced (atomically) before use.
 */
export function seaAssetFile(name: string, bytes: Buffer): string {
  const sha = createHash('sha256').update(bytes).digest('hex');
  const cache = process.env.XDG_CACHE_HOME || join(homedir() || tmpdir(), '.cache');
  const dir = join(cache, 'mqtt', sha);
  const file = join(dir, name);
  if (existsSync(file) && createHash('sha256').update(readFileSync(file)).digest('hex') === sha) return file;
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const partial = `${file}.${process.pid}.tmp`;
  writeFileSync(partial, bytes, { mode: 0o755 });
  renameSync(partial, file);
  return file;
}
