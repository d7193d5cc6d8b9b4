import { statfsSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * Why the durable store cannot be used, as one line naming the path and what to do. The broker
 * stops with it rather than start empty over data it could not read.
 */
export class StoreError extends Error {
  constructor(
    message: string,
    /** the store file (or directory) the message is about */
    readonly path: string,
  ) {
    super(message);
    this.name = 'StoreError';
  }
}

/** Free bytes where `path` lives, undefined when unknown. */
function freeBytes(path: string): number | undefined {
  try {
    const fs = statfsSync(dirname(path));
    return fs.bavail * fs.bsize;
  } catch {
    return undefined;
  }
}

/** An operating-system error code turned into advice (open and write failures). */
export function describeIoFailure(err: unknown, path: string, doing: string): StoreError {
  const e = err as NodeJS.ErrnoException;
  let code = String(e?.code ?? '');
  // LMDB reports a commit that found no room as EIO (errno 5) on some file systems: look
  if (code === '5' || code === 'EIO' || /input\/output error/i.test(String(e?.message))) {
    const free = freeBytes(path);
    if (free !== undefined && free < 4 * 1024 * 1024) code = 'ENOSPC';
  }
  const text = String(e?.message ?? err).split('\n')[0];
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS' || /permission denied|read-only/i.test(text))
    return new StoreError(`cannot ${doing} the persistence store ${path}: permission denied (the broker's user must be able to write the file and its directory)`, path);
  if (code === 'ENOSPC' || /no space left|MDB_MAP_FULL|ENOSPC/i.test(text))
    return new StoreError(`cannot ${doing} the persistence store ${path}: the disk is full (free space, then restart; nothing was acknowledged that is not stored)`, path);
  if (code === 'EEXIST' || code === 'ENOTDIR') return new StoreError(`cannot ${doing} the persistence store ${path}: a file is in the way of its directory`, path);
  if (code === 'ENOENT') return new StoreError(`cannot ${doing} the persistence store ${path}: the directory does not exist`, path);
  return new StoreError(`cannot ${doing} the persistence store ${path}: ${text}`, path);
}
