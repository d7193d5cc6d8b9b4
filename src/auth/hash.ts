import { createHash, pbkdf2, randomBytes, timingSafeEqual } from 'node:crypto';
import { clientKeyOf, MIN_ITERATIONS, saltedPassword, scramCredentials, type ScramDigest } from '../core/auth/scram.js';
import { argon2Pool } from './argon2-pool.js';
import { ARGON2_HASH_BYTES_2_1, ARGON2_PARAMS_2_1, ARGON2_SALT_BYTES_2_1, type Argon2Params } from './argon2.js';

/**
 * Mosquitto's names for its hash types: `-H sha512` writes `$6$`, `-H sha512-pbkdf2` writes
 * `$7$`, `-H argon2id` (2.1) writes `$argon2id$`.
 */
export type HashType = 'sha512' | 'sha512-pbkdf2' | 'argon2id' | ScramHash['type'];

/** One stored password, decoded from (or encoded to) the text after `username:`. */
export type PasswordHash = ShaHash | Argon2idHash | ScramHash;

export interface ShaHash {
  type: 'sha512' | 'sha512-pbkdf2';
  /** PBKDF2 rounds; 0 for sha512, which has none */
  iterations: number;
  salt: Buffer;
  /** always HASH_BYTES long */
  hash: Buffer;
}

export interface Argon2idHash {
  type: 'argon2id';
  params: Argon2Params;
  salt: Buffer;
  /** any length libargon2 allows; 2.1 writes 64 bytes */
  hash: Buffer;
}

/**
 * SCRAM credentials (RFC 5802) for MQTT 5 enhanced authentication, our own line format
 * `$scram-sha-256$<iterations>$<salt>$<StoredKey>$<ServerKey>` (standard base64), which no
 * Mosquitto hash prefix starts like. A plain CONNECT password is checked against it too.
 */
export interface ScramHash {
  type: 'scram-sha-256' | 'scram-sha-512';
  iterations: number;
  salt: Buffer;
  /** StoredKey: H(HMAC(SaltedPassword, "Client Key")) */
  hash: Buffer;
  serverKey: Buffer;
}

export const SCRAM_DIGEST: Record<ScramHash['type'], ScramDigest> = { 'scram-sha-256': 'sha256', 'scram-sha-512': 'sha512' };
/** RFC 7677's recommended minimum, and a 16-byte salt. */
export const SCRAM_ITERATIONS = MIN_ITERATIONS;
export const SCRAM_SALT_BYTES = 16;

export const HASH_BYTES = 64;
/** mosquitto_passwd 2.0 writes 12-byte salts and a 2.0 broker accepts nothing else. */
export const DEFAULT_SALT_BYTES = 12;
/** 2.1 writes 64-byte salts; 2.1 brokers accept both sizes. */
export const SALT_BYTES_2_1 = 64;
export const DEFAULT_ITERATIONS = 101;
export const ITERATIONS_2_1 = 1000;
/** node's pbkdf2 takes a signed 32-bit count, as mosquitto's atoi() does. */
export const MAX_ITERATIONS = 2 ** 31 - 1;

export interface HashOptions {
  type?: HashType;
  iterations?: number;
  saltBytes?: number;
  /** fixed salt, for test vectors; random otherwise */
  salt?: Buffer;
}

/**
 * Hashes a password the way mosquitto_passwd does (defaults: `$7$`, 101 rounds, 12-byte salt;
 * argon2id always with 2.1's parameters and a 64-byte salt).
 */
export async function hashPassword(password: string | Buffer, opts: HashOptions = {}): Promise<PasswordHash> {
  const type = opts.type ?? 'sha512-pbkdf2';
  if (type === 'argon2id') {
    const salt = opts.salt ?? randomBytes(ARGON2_SALT_BYTES_2_1);
    const params = ARGON2_PARAMS_2_1;
    return { type, params, salt, hash: await argon2id(toBytes(password), salt, params, ARGON2_HASH_BYTES_2_1) };
  }
  if (type === 'scram-sha-256' || type === 'scram-sha-512') {
    const iterations = opts.iterations ?? SCRAM_ITERATIONS;
    if (!(Number.isInteger(iterations) && iterations >= 1 && iterations <= MAX_ITERATIONS)) {
      throw new RangeError(`iterations must be an integer from 1 to ${MAX_ITERATIONS}`);
    }
    const c = await scramCredentials(SCRAM_DIGEST[type], toBytes(password), opts.salt ?? randomBytes(opts.saltBytes ?? SCRAM_SALT_BYTES), iterations);
    return { type, iterations, salt: c.salt, hash: c.storedKey, serverKey: c.serverKey };
  }
  const iterations = type === 'sha512' ? 0 : (opts.iterations ?? DEFAULT_ITERATIONS);
  if (type === 'sha512-pbkdf2' && !(Number.isInteger(iterations) && iterations >= 1 && iterations <= MAX_ITERATIONS)) {
    throw new RangeError(`iterations must be an integer from 1 to ${MAX_ITERATIONS}`);
  }
  const salt = opts.salt ?? randomBytes(opts.saltBytes ?? DEFAULT_SALT_BYTES);
  const hash = await digest(type, toBytes(password), salt, iterations);
  return { type, iterations, salt, hash };
}

/** True when the password matches; the final comparison runs in constant time. */
export async function verifyPassword(password: string | Buffer, stored: PasswordHash): Promise<boolean> {
  if (stored.type === 'argon2id') {
    // hash-wasm refuses an empty password; mosquitto_passwd never hashes one, so none matches
    if (toBytes(password).length === 0) return false;
    const computed = await argon2id(toBytes(password), stored.salt, stored.params, stored.hash.length);
    return computed.length === stored.hash.length && timingSafeEqual(computed, stored.hash);
  }
  if (stored.type === 'scram-sha-256' || stored.type === 'scram-sha-512') {
    const d = SCRAM_DIGEST[stored.type];
    const salted = await saltedPassword(d, toBytes(password), stored.salt, stored.iterations);
    const storedKey = createHash(d).update(clientKeyOf(d, salted)).digest();
    return storedKey.length === stored.hash.length && timingSafeEqual(storedKey, stored.hash);
  }
  if (stored.hash.length !== HASH_BYTES) return false;
  const computed = await digest(stored.type, toBytes(password), stored.salt, stored.iterations);
  return timingSafeEqual(computed, stored.hash);
}

/** Runs in a worker thread (argon2-pool.ts): one 2.1 hash takes about 100 ms of CPU. */
async function argon2id(password: Buffer, salt: Buffer, params: Argon2Params, hashLength: number): Promise<Buffer> {
  const out = await argon2Pool.compute({
    password, salt, iterations: params.passes, memoryKiB: params.memoryKiB, parallelism: params.lanes, hashLength,
  });
  return Buffer.from(out.buffer, out.byteOffset, out.byteLength);
}

function digest(type: ShaHash['type'], password: Buffer, salt: Buffer, iterations: number): Promise<Buffer> {
  if (type === 'sha512') {
    // $6$ is one SHA-512 pass over password then salt, not crypt(3)'s sha512crypt
    return Promise.resolve(createHash('sha512').update(password).update(salt).digest());
  }
  // the async form runs on libuv's pool, so a broker verifying 1000-round hashes keeps serving
  return new Promise((resolve, reject) =>
    pbkdf2(password, salt, iterations, HASH_BYTES, 'sha512', (err, key) => (err ? reject(err) : resolve(key))),
  );
}

function toBytes(password: string | Buffer): Buffer {
  return typeof password === 'string' ? Buffer.from(password, 'utf8') : password;
}
