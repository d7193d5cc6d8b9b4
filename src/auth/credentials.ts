/** Mosquitto drops any password-file field longer than this, and MQTT strings cannot be longer. */
export const MAX_FIELD_BYTES = 65535;

/**
 * Why a username cannot go into a password file, or undefined when it can. The first three
 * messages are mosquitto_passwd's own, checked in its order.
 */
export function usernameProblem(username: string): string | undefined {
  if (Buffer.byteLength(username, 'utf8') > MAX_FIELD_BYTES) return 'Username must be less than 65536 characters long.';
  // C0, DEL and C1: mosquitto_passwd rejects the first two, MQTT forbids all three in strings
  if (/[\u0000-\u001f\u007f-\u009f]/.test(username)) return 'Username must not contain control characters.';
  if (username.includes(':')) return "Username must not contain the ':' character.";
  // both would write a line the broker reads back as a different user (it trims, "" is corrupt)
  if (username === '') return 'Username must not be empty.';
  if (/^\s|\s$/.test(username)) return 'Username must not begin or end with whitespace.';
  return undefined;
}

/** Why a password cannot be hashed for Mosquitto, or undefined when it can. */
export function passwordProblem(password: Buffer): string | undefined {
  if (password.length === 0) return 'Empty password.';
  if (password.length > MAX_FIELD_BYTES) return 'Password must be less than 65536 characters long.';
  // the broker hashes the CONNECT password up to its first NUL, so it could never match
  if (password.includes(0)) return 'Password must not contain NUL bytes.';
  return undefined;
}
