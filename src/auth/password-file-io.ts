import { getSystemErrorMap } from 'node:util';
import { writeFileAtomic, type AtomicWriteOptions } from './atomic-write.js';
import { readRegularFile } from './regular-file.js';
import { parsePasswordFile, serialisePasswordFile, type PasswordFile } from './password-file.js';

/**
 * Reads and parses a password file; file-system errors propagate as node's ErrnoException, and
 * anything but a regular file is a NotRegularFileError.
 */
export async function loadPasswordFile(file: string): Promise<PasswordFile> {
  return parsePasswordFile(await readRegularFile(file));
}

/** Writes atomically (see writeFileAtomic): a new file gets mode 0600, an existing one keeps its mode. */
export async function savePasswordFile(file: string, content: PasswordFile, opts?: AtomicWriteOptions): Promise<void> {
  await writeFileAtomic(file, serialisePasswordFile(content), opts);
}

/** "No such file or directory": strerror()'s wording for the errno, as mosquitto_passwd prints it. */
export function errnoText(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  const known = typeof e?.errno === 'number' ? getSystemErrorMap().get(e.errno)?.[1] : undefined;
  const text = known ?? (e?.message || String(err));
  return text.charAt(0).toUpperCase() + text.slice(1);
}
