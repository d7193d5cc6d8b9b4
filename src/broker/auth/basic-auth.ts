import type { SecurityOptions } from '../config/broker-config.js';

/** What basicAuth needs of a password store. */
export interface PasswordChecker {
  check(username: string, password: Buffer | undefined): Promise<boolean>;
}

/**
 * Mosquitto 2.0's verdict on a CONNECT's username and password (src/security.c
 * mosquitto_unpwd_check with security_default.c's password-file check):
 * - no password_file: allow_anonymous decides for everyone, with or without a username;
 * - a password_file and no username: allow_anonymous decides;
 * - a password_file and a username: the password must match that user's line, whatever
 *   allow_anonymous says; an unknown user is refused.
 */
export function basicAuth(
  security: Pick<SecurityOptions, 'allowAnonymous'>,
  passwords: PasswordChecker | undefined,
  username: string | undefined,
  password: Buffer | undefined,
): boolean | Promise<boolean> {
  // answered at once unless a password has to be hashed (the broker then needs no promise)
  if (!passwords || username === undefined) return security.allowAnonymous;
  return passwords.check(username, password);
}
