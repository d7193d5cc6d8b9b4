import { readFile } from 'node:fs/promises';
import { ConfigFileError } from './config-error.js';

/**
 * A configuration file's bytes (mosquitto.conf, acl_file, password_file); when it cannot be
 * read, ConfigFileError with the reason Mosquitto logs for that kind of file.
 */
export async function readConfigFile(file: string, failure: (err: NodeJS.ErrnoException) => string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (err) {
    throw new ConfigFileError(failure(err as NodeJS.ErrnoException), { file, line: 0 });
  }
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/**
 * A configuration file's bytes as text. Mosquitto refuses malformed UTF-8 in string values
 * ("Error: Malformed UTF-8 in configuration."); here any line with it is refused, by number.
 */
export function decodeConfigText(data: Uint8Array, file: string): string {
  try {
    return UTF8.decode(data);
  } catch {
    let start = 0;
    for (let line = 1; ; line++) {
      const nl = data.indexOf(0x0a, start);
      const end = nl === -1 ? data.length : nl;
      try {
        UTF8.decode(data.subarray(start, end));
      } catch {
        throw new ConfigFileError('Error: Malformed UTF-8 in configuration.', { file, line });
      }
      start = end + 1;
    }
  }
}
