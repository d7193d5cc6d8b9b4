import { spawnSync } from 'node:child_process';
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { SEA_STORE_CHECK_ENV } from '../../core/runtime/single-executable.js';
import { loadLmdb, type LoadedLmdb, type LmdbModule } from './lmdb-binding.js';
import { StoreError } from './store-error.js';

/** LMDB's meta page magic (MDB_MAGIC), little-endian, after the 16-byte page header. */
const LMDB_MAGIC = 0xbeefc0de;
const MAGIC_OFFSET = 16 + 8;
/** Mosquitto's own persistence file starts with these bytes ("\0\xB5\0mosquitto db"). */
const MOSQUITTO_MAGIC = Buffer.from([0x00, 0xb5, 0x00, 0x6d, 0x6f, 0x73, 0x71, 0x75, 0x69, 0x74, 0x74, 0x6f, 0x20, 0x64, 0x62]);

/**
 * LMDB trusts its file: opening random bytes or reading a truncated file ends the process with
 * SIGSEGV/SIGBUS, not an exception. So an existing store is checked before this process maps it:
 * its header here, then a child process opens it, compares the size LMDB expects with the file's,
 * and reads every record, except that queued messages (a million of them after a long outage) are
 * only counted: LMDB walks every page of their B-tree natively, which is what could crash, without
 * copying each payload out to JavaScript; a payload is read when its session's client returns
 * (its bytes are data, not structure LMDB follows, and the size check keeps them inside the file).
 * A crash there is reported as a corrupt store, naming the path.
 * Returns false when there is no store yet (a new one will be made).
 */
export function checkStoreFile(file: string, lmdb: Pick<LoadedLmdb, 'file' | 'embedded'>, databases: readonly string[], countOnly: string): boolean {
  let size: number;
  try {
    size = statSync(file).size;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw new StoreError(`cannot read the persistence store ${file}: ${(err as Error).message}`, file);
  }
  if (size === 0) return false;
  const head = Buffer.alloc(64);
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    readSync(fd, head, 0, head.length, 0);
  } catch (err) {
    throw new StoreError(`cannot read the persistence store ${file}: ${(err as Error).message}`, file);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
  if (head.subarray(0, MOSQUITTO_MAGIC.length).equals(MOSQUITTO_MAGIC))
    throw new StoreError(`${file} is Mosquitto's own persistence file, which this broker cannot read: set persistence_file to another name (or move the file away) to start a new store`, file);
  if (size < 2 * 4096 || head.readUInt32LE(MAGIC_OFFSET) !== LMDB_MAGIC)
    throw new StoreError(`${file} is not a persistence store this broker wrote (corrupt, or another program's file): move it away to start empty, or restore it from a backup`, file);

  const args = [file, JSON.stringify(databases), countOnly];
  // a single executable runs no `node -e`: it runs itself, told by the environment to do the check
  const child = lmdb.embedded
    ? spawnSync(process.execPath, ['broker'], { encoding: 'utf8', timeout: 120_000, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, [SEA_STORE_CHECK_ENV]: JSON.stringify(args) } })
    : spawnSync(process.execPath, ['-e', CHECK_SCRIPT, lmdb.file, ...args], { encoding: 'utf8', timeout: 120_000, stdio: ['ignore', 'pipe', 'pipe'] });
  if (child.error) throw new StoreError(`cannot check the persistence store ${file}: ${child.error.message}`, file);
  if (child.signal || child.status !== 0) {
    const said = (child.stderr || '').trim().split('\n').pop() ?? '';
    if (/EACCES|permission denied/i.test(said)) throw new StoreError(`cannot open the persistence store ${file}: permission denied (the broker's user must be able to read and write it and its directory)`, file);
    const what = child.signal ? `reading it crashed the check (${child.signal})` : said || `the check exited with ${child.status}`;
    throw new StoreError(`the persistence store ${file} is corrupt (${what}): move it away to start empty, or restore it from a backup`, file);
  }
  return true;
}

/**
 * The check, run in the child: its source is the `node -e` script, so it uses its arguments and
 * nothing else of this module. Exits 2 when the file is shorter than its pages reach.
 */
function checkStore(open: LmdbModule['open'], size: number, file: string, names: string[], countOnly: string): void {
  const env = open({ path: file, maxDbs: 16, readOnly: true, noSubdir: true });
  const stats = env.getStats() as { lastPageNumber: number; pageSize: number };
  const needed = (stats.lastPageNumber + 1) * stats.pageSize;
  if (size < needed) {
    console.error('the file is ' + size + ' bytes, its pages reach ' + needed + ' (truncated)');
    process.exit(2);
  }
  for (const name of names) {
    // binary: every page is read (overflow pages of large payloads too) without decoding
    const db = env.openDB({ name, encoding: 'binary' });
    if (name === countOnly) void db.getKeysCount();
    else for (const { value } of db.getRange()) void (value as Buffer).length;
  }
  void env.close();
}

/** Runs in the child: argv = [lmdb module file, store file, database names as JSON, the database only counted]. */
const CHECK_SCRIPT = `
const [lmdbFile, file, names, countOnly] = process.argv.slice(1);
(${checkStore.toString()})(require(lmdbFile).open, require('node:fs').statSync(file).size, file, JSON.parse(names), countOnly);
`;

/** The single executable run as the check child (SEA_STORE_CHECK_ENV set to [store file, database names as JSON, the database only counted]): exit code 0 when the store reads. */
export async function storeCheckChild(): Promise<number> {
  const [file, names, countOnly] = JSON.parse(process.env[SEA_STORE_CHECK_ENV]!) as [string, string, string];
  const { lmdb } = await loadLmdb(file);
  checkStore(lmdb.open, statSync(file).size, file, JSON.parse(names) as string[], countOnly);
  return 0;
}
