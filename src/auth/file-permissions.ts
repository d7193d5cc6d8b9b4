/** Permission bits of a file that decides who may connect (password, ACL, psk, dynamic security). */
export const OTHERS_ANY = 0o007;
export const OTHERS_WRITE = 0o002;

/**
 * Mosquitto 2.1's warning for such a file that other users may read (libcommon mosquitto_fopen
 * with restrict_read: any of the S_IRWXO bits), word for word; its broker and mosquitto_passwd
 * both print it.
 */
export function worldReadableWarning(file: string): string {
  return `Warning: File ${file} has world readable permissions. Future versions will refuse to load this file.\nTo fix this, use \`chmod 0700 ${file}\`.`;
}

/** Why mqtt broker refuses such a file that other users may write (Mosquitto only warns). */
export function worldWritableError(file: string): string {
  return `Error: File ${file} is world writable, so anyone could change who may connect: refusing to load it. To fix this, use \`chmod 0700 ${file}\`.`;
}
