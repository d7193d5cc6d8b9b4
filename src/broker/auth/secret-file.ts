import { open } from 'node:fs/promises';
import { OTHERS_ANY, OTHERS_WRITE, worldReadableWarning, worldWritableError } from '../../auth/file-permissions.js';
import { ConfigFileError } from '../config/config-error.js';

export { worldReadableWarning, worldWritableError };

/**
 * A file that decides who may do what (password_file, acl_file, a dynamic-security file): its
 * bytes, and Mosquitto 2.1's warning when other users may read it. One that other users may
 * write is refused (ConfigFileError): Mosquitto only warns, but a file anyone can edit is no
 * security at all, so we fail closed. The mode is read from the descriptor the bytes come from,
 * so a file swapped between the check and the read cannot slip through.
 */
export async function readSecretFile(file: string, failure: (err: NodeJS.ErrnoException) => string): Promise<{ data: Buffer; warnings: string[] }> {
  let handle;
  try {
    handle = await open(file, 'r');
  } catch (err) {
    throw new ConfigFileError(failure(err as NodeJS.ErrnoException), { file, line: 0 });
  }
  try {
    const { mode } = await handle.stat();
    if (mode & OTHERS_WRITE) throw new ConfigFileError(worldWritableError(file), { file, line: 0 });
    const warnings = mode & OTHERS_ANY ? [worldReadableWarning(file)] : [];
    return { data: await handle.readFile(), warnings };
  } catch (err) {
    if (err instanceof ConfigFileError) throw err;
    throw new ConfigFileError(failure(err as NodeJS.ErrnoException), { file, line: 0 });
  } finally {
    await handle.close();
  }
}
