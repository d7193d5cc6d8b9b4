import { constants, type Stats } from 'node:fs';
import { open, stat } from 'node:fs/promises';

/**
 * A password file must be a regular file. Replacing a device, FIFO or socket with a regular file
 * (keeping the device's 0666) would leave the hashes world-writable, and reading a FIFO would
 * block: both are refused, fail closed. (mosquitto_passwd writes into a device, blocks on a FIFO.)
 */
export class NotRegularFileError extends Error {
  constructor(readonly kind: string) {
    super(`not a regular file (${kind})`);
  }
}

/** What a non-regular file is, in words. */
export function fileKind(st: Stats): string {
  if (st.isFile()) return 'a regular file';
  if (st.isDirectory()) return 'a directory';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isSocket()) return 'a socket';
  return 'not a file';
}

export function assertRegular(st: Stats): void {
  if (!st.isFile()) throw new NotRegularFileError(fileKind(st));
}

/**
 * Reads a regular file (a symlink is followed). Checked twice: stat before opening, since open()
 * on a socket fails with a confusing ENXIO; and fstat of what was opened, non-blocking so a FIFO
 * put there in between cannot make us wait for a writer.
 */
export async function readRegularFile(file: string): Promise<Buffer> {
  assertRegular(await stat(file));
  const fh = await open(file, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    assertRegular(await fh.stat());
    return await fh.readFile();
  } finally {
    await fh.close();
  }
}
