import { decodeArgon2id, formatArgon2id } from './argon2.js';
import { DEFAULT_SALT_BYTES, HASH_BYTES, MAX_ITERATIONS, SALT_BYTES_2_1, type PasswordHash, type ScramHash, type ShaHash } from './hash.js';

/** What the text after `username:` holds. */
export type HashField =
  | { kind: 'hashed'; hash: PasswordHash }
  /** an argon2 variant Mosquitto never writes and does not verify ($argon2i$, $argon2d$) */
  | { kind: 'unsupported'; scheme: string }
  /** looks like `$6$`/`$7$`/`$argon2id$` but does not decode: the broker would drop the user */
  | { kind: 'invalid'; reason: string }
  /** anything else: a plain-text password, as `-U` expects to find */
  | { kind: 'plain' };

/**
 * `$6$<salt>$<hash>` or `$7$<iterations>$<salt>$<hash>`, standard base64, as mosquitto_passwd
 * prints it; argon2id in libargon2's encoded form (see argon2.ts).
 */
export function formatHash(h: PasswordHash): string {
  if (h.type === 'argon2id') return formatArgon2id({ ...h.params, salt: h.salt, hash: h.hash });
  if (h.type === 'scram-sha-256' || h.type === 'scram-sha-512') {
    return `$${h.type}$${h.iterations}$${h.salt.toString('base64')}$${h.hash.toString('base64')}$${h.serverKey.toString('base64')}`;
  }
  const salt = h.salt.toString('base64');
  const hash = h.hash.toString('base64');
  return h.type === 'sha512' ? `$6$${salt}$${hash}` : `$7$${h.iterations}$${salt}$${hash}`;
}

export function decodeHashField(field: string): HashField {
  if (field.startsWith('$argon2id$')) {
    const d = decodeArgon2id(field);
    if ('reason' in d) return invalid(d.reason);
    const { salt, hash, ...params } = d;
    return { kind: 'hashed', hash: { type: 'argon2id', params, salt, hash } };
  }
  const unsupported = /^\$(argon2i|argon2d)\$/.exec(field);
  if (unsupported) return { kind: 'unsupported', scheme: `$${unsupported[1]}$` };
  const scram = /^\$(scram-sha-256|scram-sha-512)\$/.exec(field);
  if (scram) return decodeScram(field.split('$'), scram[1] as ScramHash['type']);
  if (field.startsWith('$6$')) return decodeParts(field.split('$'), 'sha512');
  if (field.startsWith('$7$')) return decodeParts(field.split('$'), 'sha512-pbkdf2');
  return { kind: 'plain' };
}

function decodeParts(parts: string[], type: ShaHash['type']): HashField {
  // split('$') of "$7$101$salt$hash" is ['', '7', '101', 'salt', 'hash']
  const pbkdf2 = type === 'sha512-pbkdf2';
  const expected = pbkdf2 ? 5 : 4;
  if (parts.length !== expected) return invalid(`expected ${expected - 1} '$'-separated fields after '$', found ${parts.length - 1}`);
  let iterations = 0;
  if (pbkdf2) {
    const text = parts[2]!;
    iterations = /^[0-9]{1,10}$/.test(text) ? Number(text) : NaN;
    if (!(iterations >= 1 && iterations <= MAX_ITERATIONS)) return invalid(`bad iteration count '${text}'`);
  }
  const salt = decodeBase64(parts[expected - 2]!);
  if (!salt || (salt.length !== DEFAULT_SALT_BYTES && salt.length !== SALT_BYTES_2_1)) {
    return invalid(`salt is not base64 of ${DEFAULT_SALT_BYTES} or ${SALT_BYTES_2_1} bytes`);
  }
  const hash = decodeBase64(parts[expected - 1]!);
  if (!hash || hash.length !== HASH_BYTES) return invalid(`hash is not base64 of ${HASH_BYTES} bytes`);
  return { kind: 'hashed', hash: { type, iterations, salt, hash } };
}

/** `$scram-sha-256$<iterations>$<salt>$<StoredKey>$<ServerKey>`: keys as long as the digest. */
function decodeScram(parts: string[], type: ScramHash['type']): HashField {
  if (parts.length !== 6) return invalid(`expected 5 '$'-separated fields after '$', found ${parts.length - 1}`);
  const iterations = /^[0-9]{1,10}$/.test(parts[2]!) ? Number(parts[2]) : NaN;
  if (!(iterations >= 1 && iterations <= MAX_ITERATIONS)) return invalid(`bad iteration count '${parts[2]}'`);
  const salt = decodeBase64(parts[3]!);
  if (!salt) return invalid('salt is not base64');
  const keyBytes = type === 'scram-sha-256' ? 32 : 64;
  const hash = decodeBase64(parts[4]!);
  const serverKey = decodeBase64(parts[5]!);
  if (hash?.length !== keyBytes || serverKey?.length !== keyBytes) return invalid(`StoredKey and ServerKey must be base64 of ${keyBytes} bytes`);
  return { kind: 'hashed', hash: { type, iterations, salt, hash, serverKey } };
}

/** Strict standard base64 (node's decoder silently skips junk, which would hide corruption). */
function decodeBase64(text: string): Buffer | undefined {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(text)) return undefined;
  if (text.includes('=') && text.length % 4 !== 0) return undefined;
  return Buffer.from(text, 'base64');
}

function invalid(reason: string): HashField {
  return { kind: 'invalid', reason };
}
