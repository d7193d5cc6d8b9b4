import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeArgon2id, formatArgon2id } from '../../src/auth/argon2.js';
import { argon2Pool } from '../../src/auth/argon2-pool.js';
import { hashPassword, verifyPassword, type PasswordHash } from '../../src/auth/hash.js';
import { decodeHashField, formatHash } from '../../src/auth/hash-format.js';

// Computed with libargon2 (argon2id_hash_encoded, the library Mosquitto 2.1 links), password
// "password": 2.1's parameters (t=1, m=47104, p=1, 64-byte salt 0..63, 64-byte hash), then odd ones.
const VECTOR_21 = '$argon2id$v=19$m=47104,t=1,p=1$AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vMDEyMzQ1Njc4OTo7PD0+Pw$'
  + 'PSgS0SQP11eYoUs34zQi0HsTw/P8awxX8kf+94qyd5CziAe0af6Lr3RwOmKNdcSYBa6ZJpy4awdqw2JKUW7u4Q';
const VECTOR_SMALL = '$argon2id$v=19$m=64,t=3,p=4$c2FsdHNhbHQ$2HlZ1DjmGovIbLJGKQ+TrA';
// password "s3cret ünïcode" (UTF-8), salt 0..15, 32-byte hash, m not a multiple of 4p
const VECTOR_ODD = '$argon2id$v=19$m=1000,t=2,p=3$AAECAwQFBgcICQoLDA0ODw$lXGwirfucKWq6AVEQn/iyPVqVKyCxBbE+VGfJVPjsIE';

const ROOT = path.resolve(import.meta.dirname, '../..');
const BUNDLE = path.join(ROOT, 'dist/mqtt.cjs');

function decoded(field: string): PasswordHash {
  const d = decodeHashField(field);
  if (d.kind !== 'hashed') throw new Error(`not a hash: ${JSON.stringify(d)}`);
  return d.hash;
}

afterAll(() => argon2Pool.useScript(null));

describe('argon2id lines (Mosquitto 2.1)', () => {
  it.each([
    ['2.1 parameters', VECTOR_21, 'password'],
    ['t=3 m=64 p=4, 8-byte salt, 16-byte hash', VECTOR_SMALL, 'password'],
    ['t=2 m=1000 p=3, UTF-8 password', VECTOR_ODD, 's3cret ünïcode'],
  ])('verifies the libargon2 vector with %s, and writes it back unchanged', async (_, field, password) => {
    const h = decoded(field);
    expect(await verifyPassword(password, h)).toBe(true);
    expect(await verifyPassword(password + 'x', h)).toBe(false);
    expect(await verifyPassword('', h)).toBe(false);
    expect(formatHash(h)).toBe(field);
  });

  it('writes what mosquitto_passwd 2.1 writes: t=1, m=47104, p=1, 64-byte salt and hash', async () => {
    const salt = Buffer.from(Array.from({ length: 64 }, (_, i) => i));
    expect(formatHash(await hashPassword('password', { type: 'argon2id', salt }))).toBe(VECTOR_21);
    const [a, b] = [await hashPassword('x', { type: 'argon2id' }), await hashPassword('x', { type: 'argon2id' })];
    expect(a.salt.equals(b.salt)).toBe(false);
    expect(formatHash(a)).toMatch(/^\$argon2id\$v=19\$m=47104,t=1,p=1\$[A-Za-z0-9+/]{86}\$[A-Za-z0-9+/]{86}$/);
  });

  it.each([
    ['padding on the salt', VECTOR_SMALL.replace('$c2FsdHNhbHQ$', '$c2FsdHNhbHQ=$')],
    ['non-zero unused bits', VECTOR_SMALL.replace('$c2FsdHNhbHQ$', '$c2FsdHNhbHR$')],
    ['a salt of 7 bytes', VECTOR_SMALL.replace('$c2FsdHNhbHQ$', '$c2FsdHNhbA$')],
    ['a 3-byte hash', VECTOR_SMALL.replace(/\$[^$]+$/, '$AAAA')],
    ['no v= (version 0x10)', VECTOR_SMALL.replace('$v=19', '')],
    ['v=16', VECTOR_SMALL.replace('$v=19', '$v=16')],
    ['t=0', VECTOR_SMALL.replace('t=3', 't=0')],
    ['p=0', VECTOR_SMALL.replace('p=4', 'p=0')],
    ['m below 8*p', VECTOR_SMALL.replace('m=64', 'm=31')],
    ['m above the 1 GiB limit', VECTOR_SMALL.replace('m=64', 'm=1048577')],
    ['t above the limit', VECTOR_SMALL.replace('t=3', 't=65')],
    ['fields out of order', VECTOR_SMALL.replace('m=64,t=3', 't=3,m=64')],
    ['a field too many', VECTOR_SMALL + '$AAAA'],
    ['a sign', VECTOR_SMALL.replace('m=64', 'm=+64')],
    ['nothing after the prefix', '$argon2id$'],
  ])('refuses %s, giving a reason (the broker drops the user, passwd refuses the file)', (_, field) => {
    const d = decodeHashField(field);
    expect(d.kind).toBe('invalid');
    expect('reason' in decodeArgon2id(field)).toBe(true);
  });

  it('formats what it decodes', () => {
    const d = decodeArgon2id(VECTOR_ODD);
    if ('reason' in d) throw new Error(d.reason);
    expect([d.passes, d.memoryKiB, d.lanes, d.salt.length, d.hash.length]).toEqual([2, 1000, 3, 16, 32]);
    expect(formatArgon2id(d)).toBe(VECTOR_ODD);
  });
});

/** libargon2 through python3's ctypes: the library Mosquitto 2.1 itself links. */
function libargon2(script: string, ...args: string[]): string | undefined {
  try {
    return execFileSync('python3', ['-c', `
import ctypes as c, sys
lib = c.CDLL("libargon2.so.1")
lib.argon2id_verify.argtypes = [c.c_char_p, c.c_char_p, c.c_size_t]
lib.argon2id_hash_encoded.argtypes = [c.c_uint32, c.c_uint32, c.c_uint32, c.c_char_p, c.c_size_t, c.c_char_p, c.c_size_t, c.c_size_t, c.c_char_p, c.c_size_t]
${script}`, ...args], { encoding: 'utf8' }).trim();
  } catch {
    return undefined;
  }
}
const HAVE_LIBARGON2 = libargon2('print(1)') === '1';
if (!HAVE_LIBARGON2) {
  if (process.env.MQTT_REQUIRE_PEERS === '1') throw new Error('required peer missing: python3 with libargon2.so.1 (MQTT_REQUIRE_PEERS=1)');
  process.stderr.write('\n*** SKIPPING "argon2id against libargon2": python3 or libargon2.so.1 not installed ***\n\n');
}

describe.skipIf(!HAVE_LIBARGON2)('argon2id against libargon2', () => {
  it('libargon2 verifies a line we wrote, and we verify a line libargon2 wrote, with a fresh random salt', async () => {
    const password = 'pä$$:wörd ' + Math.random().toString(36);
    const ours = formatHash(await hashPassword(password, { type: 'argon2id' }));
    const verify = 'pw = sys.argv[2].encode(); print(lib.argon2id_verify(sys.argv[1].encode(), pw, len(pw)))';
    expect(libargon2(verify, ours, password)).toBe('0');
    expect(libargon2(verify, ours, password + '!')).toBe('-35'); // ARGON2_VERIFY_MISMATCH
    const theirs = libargon2(`
import os
pw = sys.argv[1].encode(); salt = os.urandom(64); out = c.create_string_buffer(512)
assert lib.argon2id_hash_encoded(1, 47104, 1, pw, len(pw), salt, 64, 64, out, 512) == 0
print(out.value.decode())`, password)!;
    expect(await verifyPassword(password, decoded(theirs))).toBe(true);
    expect(await verifyPassword(password + '!', decoded(theirs))).toBe(false);
  });
});

describe.skipIf(!existsSync(BUNDLE))('argon2id off the event loop', () => {
  /** The longest the event loop waited while `n` 2.1 hashes ran, in ms. */
  async function longestStall(n: number): Promise<number> {
    const h = monitorEventLoopDelay({ resolution: 5 });
    h.enable();
    for (let i = 0; i < n; i++) await hashPassword('password', { type: 'argon2id' });
    h.disable();
    return h.max / 1e6;
  }

  it('hashes in a worker thread started from the bundle: the event loop keeps turning', async () => {
    argon2Pool.useScript({ source: BUNDLE, evaluate: false });
    await hashPassword('warm-up', { type: 'argon2id' });
    const inWorker = await longestStall(3);
    argon2Pool.useScript(null);
    await hashPassword('warm-up', { type: 'argon2id' });
    const inThread = await longestStall(3);
    // side by side on a loaded 2-core machine: the reference is the same hash in this thread
    process.stderr.write(`argon2id (t=1, m=47104): longest event-loop stall ${inWorker.toFixed(1)} ms in a worker, ${inThread.toFixed(1)} ms in-thread\n`);
    expect(inThread).toBeGreaterThan(40);
    expect(inWorker).toBeLessThan(inThread / 2);
  });

  it('gives the same answers in the worker as in this thread', async () => {
    argon2Pool.useScript({ source: BUNDLE, evaluate: false });
    expect(await verifyPassword('password', decoded(VECTOR_21))).toBe(true);
    expect(await verifyPassword('Password', decoded(VECTOR_21))).toBe(false);
    const all = await Promise.all([VECTOR_SMALL, VECTOR_ODD, VECTOR_SMALL].map((v, i) => verifyPassword(i === 1 ? 's3cret ünïcode' : 'password', decoded(v))));
    expect(all).toEqual([true, true, true]);
  });
});
