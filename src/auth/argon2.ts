/**
 * Mosquitto 2.1's `$argon2id$` password lines: libargon2's encoded form,
 * `$argon2id$v=19$m=<KiB>,t=<passes>,p=<lanes>$<salt>$<hash>` with unpadded standard base64.
 * mosquitto_passwd 2.1 writes t=1, m=47104, p=1, a 64-byte salt and a 64-byte hash
 * (libcommon/password_common.c: MOSQ_ARGON2_T/M/P, HASH_LEN = EVP_MAX_MD_SIZE); its broker
 * verifies whatever parameters the line names, and so do we, within the limits below.
 */

export const ARGON2_VERSION = 0x13;
export const ARGON2_PASSES_2_1 = 1;
export const ARGON2_MEMORY_KIB_2_1 = 47104;
export const ARGON2_LANES_2_1 = 1;
export const ARGON2_SALT_BYTES_2_1 = 64;
export const ARGON2_HASH_BYTES_2_1 = 64;

/**
 * Beyond libargon2's own minimums, a line asking for more than this is refused rather than
 * computed: a password file should not be able to make each CONNECT take minutes or gigabytes.
 * Generous next to anything a real deployment uses (2.1 writes 46 MiB, one pass).
 */
export const ARGON2_LIMITS = {
  maxMemoryKiB: 1024 * 1024,
  maxPasses: 64,
  maxLanes: 64,
  minSaltBytes: 8,
  maxSaltBytes: 1024,
  minHashBytes: 4,
  maxHashBytes: 1024,
} as const;

export interface Argon2Params {
  passes: number;
  memoryKiB: number;
  lanes: number;
}

export const ARGON2_PARAMS_2_1: Argon2Params = { passes: ARGON2_PASSES_2_1, memoryKiB: ARGON2_MEMORY_KIB_2_1, lanes: ARGON2_LANES_2_1 };

export interface DecodedArgon2 extends Argon2Params {
  salt: Buffer;
  hash: Buffer;
}

export function formatArgon2id(h: DecodedArgon2): string {
  return `$argon2id$v=${ARGON2_VERSION}$m=${h.memoryKiB},t=${h.passes},p=${h.lanes}$${b64(h.salt)}$${b64(h.hash)}`;
}

/**
 * Decodes a `$argon2id$` field as libargon2's decode_string does (fields in this order, decimal
 * numbers, unpadded base64 whose unused bits are zero, nothing after the hash), or says why not.
 * A missing `v=` means version 0x10, which Mosquitto 2.1 never writes and we do not compute.
 */
export function decodeArgon2id(field: string): DecodedArgon2 | { reason: string } {
  const m = /^\$argon2id(\$v=([0-9]+))?\$m=([0-9]+),t=([0-9]+),p=([0-9]+)\$([^$]*)\$([^$]*)$/.exec(field);
  if (!m) return { reason: 'not $argon2id$v=19$m=<KiB>,t=<passes>,p=<lanes>$<salt>$<hash>' };
  const version = m[2] === undefined ? 0x10 : Number(m[2]);
  if (version !== ARGON2_VERSION) return { reason: `argon2 version ${m[2] ?? '16 (no v=)'} is not 19` };
  const [memoryKiB, passes, lanes] = [Number(m[3]), Number(m[4]), Number(m[5])];
  const L = ARGON2_LIMITS;
  if (!(lanes >= 1 && lanes <= L.maxLanes)) return { reason: `p=${m[5]} is not from 1 to ${L.maxLanes}` };
  if (!(passes >= 1 && passes <= L.maxPasses)) return { reason: `t=${m[4]} is not from 1 to ${L.maxPasses}` };
  if (!(memoryKiB >= 8 * lanes && memoryKiB <= L.maxMemoryKiB)) return { reason: `m=${m[3]} is not from 8*p to ${L.maxMemoryKiB} KiB` };
  const salt = unb64(m[6]!);
  if (!salt || salt.length < L.minSaltBytes || salt.length > L.maxSaltBytes) {
    return { reason: `salt is not unpadded base64 of ${L.minSaltBytes} to ${L.maxSaltBytes} bytes` };
  }
  const hash = unb64(m[7]!);
  if (!hash || hash.length < L.minHashBytes || hash.length > L.maxHashBytes) {
    return { reason: `hash is not unpadded base64 of ${L.minHashBytes} to ${L.maxHashBytes} bytes` };
  }
  return { passes, memoryKiB, lanes, salt, hash };
}

function b64(bytes: Buffer): string {
  return bytes.toString('base64').replace(/=+$/, '');
}

/** Strict: the alphabet only, no padding, and re-encoding gives the same text (no stray bits). */
function unb64(text: string): Buffer | undefined {
  if (!/^[A-Za-z0-9+/]+$/.test(text) || text.length % 4 === 1) return undefined;
  const bytes = Buffer.from(text, 'base64');
  return b64(bytes) === text ? bytes : undefined;
}
