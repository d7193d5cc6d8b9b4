import { describe, expect, it } from 'vitest';
import { hashPassword, verifyPassword, type PasswordHash } from '../../src/auth/hash.js';
import { decodeHashField, formatHash } from '../../src/auth/hash-format.js';

// ../shared/reference/mosquitto-clients.md §2.2: salt = bytes 0x00..0x0b, password "password"
const SALT12 = Buffer.from(Array.from({ length: 12 }, (_, i) => i));
const VECTOR_7 = '$7$101$AAECAwQFBgcICQoL$DEO14ViPofBJRJpN8uZINnuFUWj8eUeWhlyZ2QOQ+5LgiM0kGXMwv2HwhIvlBQTsHkd+uve2/GFOr/KZ8Y/8Hw==';
const VECTOR_6 = '$6$AAECAwQFBgcICQoL$b4be9ENqb54sNj+csQTvm3qRtt6r5BJ4pdELhfw3543YRDKXy8YjBxqSsJubpfDSNaXeWIFnCuo6UMHsY83J5w==';
// what mosquitto_passwd 2.1 writes: 64-byte salt, 1000 iterations (salt = bytes 0..63, computed with Python hashlib)
const VECTOR_21 = '$7$1000$AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vMDEyMzQ1Njc4OTo7PD0+Pw==$'
  + 'seoZOd4yKp4qepnHeRnOIqoxpEevy96Tz9mouYISK2qdKKeUN6dOG8OXC4glWmhJNXlRek6qGJq0HplYtF6dcQ==';

function decoded(field: string): PasswordHash {
  const d = decodeHashField(field);
  if (d.kind !== 'hashed') throw new Error(`not a hash: ${JSON.stringify(d)}`);
  return d.hash;
}

describe('test vectors', () => {
  it('writes the $7$ vector: PBKDF2-HMAC-SHA512, 101 rounds, 64-byte hash', async () => {
    expect(formatHash(await hashPassword('password', { salt: SALT12 }))).toBe(VECTOR_7);
  });
  it('writes the $6$ vector: one SHA-512 over password then salt', async () => {
    expect(formatHash(await hashPassword('password', { type: 'sha512', salt: SALT12 }))).toBe(VECTOR_6);
  });
  it.each([['$7$', VECTOR_7], ['$6$', VECTOR_6], ['2.1 64-byte salt $7$', VECTOR_21]])('verifies the %s vector', async (_, field) => {
    const h = decoded(field);
    expect(await verifyPassword('password', h)).toBe(true);
    expect(await verifyPassword('Password', h)).toBe(false);
    expect(await verifyPassword('', h)).toBe(false);
  });
  it('decodes the 2.1 line with its 64-byte salt and 1000 iterations, and writes it back unchanged', () => {
    const h = decoded(VECTOR_21);
    if (h.type === 'argon2id') throw new Error('not $7$');
    expect([h.type, h.iterations, h.salt.length, h.hash.length]).toEqual(['sha512-pbkdf2', 1000, 64, 64]);
    expect(formatHash(h)).toBe(VECTOR_21);
  });
});

describe('round trips', () => {
  it.each([
    ['sha512-pbkdf2 default', {}],
    ['sha512', { type: 'sha512' as const }],
    ['1000 iterations, 64-byte salt', { iterations: 1000, saltBytes: 64 }],
  ])('%s: format, decode, verify', async (_, opts) => {
    const h = await hashPassword('s3cret ünïcode', opts);
    const text = formatHash(h);
    expect(decoded(text)).toEqual(h);
    expect(await verifyPassword('s3cret ünïcode', decoded(text))).toBe(true);
    expect(await verifyPassword('s3cret unicode', decoded(text))).toBe(false);
  });
  it('uses a fresh random salt each time (12 bytes by default)', async () => {
    const [a, b] = [await hashPassword('x'), await hashPassword('x')];
    expect(a.salt.length).toBe(12);
    expect(a.salt.equals(b.salt)).toBe(false);
    expect(formatHash(a)).toMatch(/^\$7\$101\$[A-Za-z0-9+/]{16}\$[A-Za-z0-9+/]{86}==$/);
  });
  it('hashes raw bytes as given, including ones that are not UTF-8', async () => {
    const pw = Buffer.from([0xff, 0xfe, 0x41]);
    expect(await verifyPassword(pw, await hashPassword(pw))).toBe(true);
  });
  it('refuses an iteration count PBKDF2 cannot take', async () => {
    await expect(hashPassword('x', { iterations: 0 })).rejects.toThrow(RangeError);
  });
});

describe('decodeHashField', () => {
  it('reports argon2i and argon2d (which Mosquitto never verifies) as unsupported, not as a password', () => {
    expect(decodeHashField('$argon2i$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA')).toEqual({ kind: 'unsupported', scheme: '$argon2i$' });
    expect(decodeHashField('$argon2d$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA')).toEqual({ kind: 'unsupported', scheme: '$argon2d$' });
  });
  it('takes anything else that is not $6$/$7$ for a plain-text password', () => {
    expect(decodeHashField('hunter2')).toEqual({ kind: 'plain' });
    expect(decodeHashField('$ecret$')).toEqual({ kind: 'plain' });
  });
  it.each([
    ['bad base64 salt', '$7$101$AAEC*wQFBgcICQoL$' + VECTOR_7.split('$')[4]],
    ['16-byte salt', '$7$101$AAECAwQFBgcICQoLDA0ODw==$' + VECTOR_7.split('$')[4]],
    ['short hash', '$6$AAECAwQFBgcICQoL$AAAA'],
    ['zero iterations', VECTOR_7.replace('$101$', '$0$')],
    ['iterations not a number', VECTOR_7.replace('$101$', '$1o1$')],
    ['missing field', '$7$AAECAwQFBgcICQoL$' + VECTOR_7.split('$')[4]],
    ['extra field', VECTOR_6 + '$x'],
  ])('marks %s invalid', (_, field) => {
    expect(decodeHashField(field).kind).toBe('invalid');
  });
});
