import { open, readlink, realpath, rename, stat, unlink, type FileHandle } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { assertRegular } from './regular-file.js';

/** Test seams: make a write fail part-way, as a full disk or a crash would. */
export interface AtomicWriteHooks {
  /** replaces the write of the data into the temporary file */
  write?: (fh: FileHandle, data: Buffer) => Promise<void>;
  /** runs after the temporary file is complete and synced, just before the rename */
  beforeRename?: (tempPath: string) => Promise<void> | void;
}

export interface AtomicWriteOptions {
  /** mode for a file that does not exist yet; an existing file keeps its own */
  mode?: number;
  hooks?: AtomicWriteHooks;
}

/** New password files are for the broker's user only, as mosquitto_passwd's umask 077 gives. */
export const NEW_FILE_MODE = 0o600;

/**
 * Replaces a file so that a reader, a crash or an error at any moment sees either the old or the
 * new content, never a mix: temporary file in the same directory (rename is atomic only within a
 * filesystem), fsync, rename over the original, fsync the directory so the rename itself survives.
 * A symlink is followed so the link stays and its target is replaced (or created, when the link
 * dangles). Anything but a regular file is refused: renaming over a device, FIFO or socket would
 * swap it for a file with the node's mode (a device's 0666). An existing file keeps its mode and
 * owner, so an edit never widens who may read it.
 */
export async function writeFileAtomic(target: string, data: Buffer, opts: AtomicWriteOptions = {}): Promise<void> {
  const file = await resolveTarget(target);
  const existing = await stat(file).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined;
    throw err;
  });
  if (existing) assertRegular(existing);
  const mode = existing ? existing.mode & 0o7777 : (opts.mode ?? NEW_FILE_MODE);
  const dir = path.dirname(file);
  const temp = path.join(dir, `.${path.basename(file)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  // 0600 from the first byte: the old and new passwords are never readable by others, whatever umask
  const fh = await open(temp, 'wx', 0o600);
  let closed = false;
  try {
    await (opts.hooks?.write ?? writeAll)(fh, data);
    await fh.chmod(mode);
    if (existing && (existing.uid !== process.getuid?.() || existing.gid !== process.getgid?.())) {
      // root editing the broker's file must not hand it over to root; others cannot chown, and keep theirs
      await fh.chown(existing.uid, existing.gid).catch(() => {});
    }
    await fh.sync();
    closed = true;
    await fh.close();
    await opts.hooks?.beforeRename?.(temp);
    await rename(temp, file);
  } catch (err) {
    if (!closed) await fh.close().catch(() => {});
    await unlink(temp).catch(() => {});
    throw err;
  }
  await syncDir(dir);
}

async function writeAll(fh: FileHandle, data: Buffer): Promise<void> {
  await fh.writeFile(data);
}

const MAX_SYMLINK_HOPS = 40; // Linux's MAXSYMLINKS

/** The file a path names: symlinks resolved, including a dangling last link (whose target we create). */
async function resolveTarget(target: string): Promise<string> {
  let file = path.resolve(target);
  for (let hop = 0; hop <= MAX_SYMLINK_HOPS; hop++) {
    try {
      return await realpath(file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    let link: string;
    try {
      link = await readlink(file);
    } catch (err) {
      // not a link (EINVAL) or not there at all: a new file at this path
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EINVAL' || code === 'ENOENT') return file;
      throw err;
    }
    file = path.resolve(path.dirname(file), link);
  }
  throw Object.assign(new Error('ELOOP: too many symbolic links'), { code: 'ELOOP', errno: -40 });
}

async function syncDir(dir: string): Promise<void> {
  // best effort: some filesystems refuse fsync on a directory, and the rename has happened anyway
  const fh = await open(dir, 'r').catch(() => undefined);
  if (!fh) return;
  await fh.sync().catch(() => {});
  await fh.close().catch(() => {});
}
