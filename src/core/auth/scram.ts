import type * as Crypto from 'node:crypto';

// node:crypto on first use: the client imports this file, and loading crypto cost every plain
// `mqtt pub` about 6 ms of start-up
let cryptoModule: typeof Crypto | undefined;
const crypto = (): typeof Crypto => (cryptoModule ??= process.getBuiltinModule('node:crypto'));

/**
 * SCRAM-SHA-256 and SCRAM-SHA-512 (RFC 5802, RFC 7677) without channel binding (GS2 header
 * "n,,"), for MQTT 5 enhanced authentication: the maths and the four messages, shared by the
 * broker and the clients. Passwords are taken as their UTF-8 bytes (no SASLprep: ASCII passwords,
 * the common case, are the same either way).
 */
import type { ScramDigest } from './scram-methods.js';

export { SCRAM_METHODS, scramDigest, type ScramDigest, type ScramMethod } from './scram-methods.js';

/** What a server stores for a user: never the password, and nothing that logs in by itself. */
export interface ScramCredentials {
  iterations: number;
  salt: Buffer;
  storedKey: Buffer;
  serverKey: Buffer;
}

/** The channel-binding attribute of a client-final-message for GS2 header "n,,": base64("n,,"). */
const NO_CHANNEL_BINDING = 'biws';
const GS2_HEADER = 'n,,';
export const MIN_ITERATIONS = 4096;
export const MAX_SCRAM_ITERATIONS = 2 ** 31 - 1;
/** the most a client computes for a server: 2,500 times RFC 7677's 4096, about a minute of CPU */
export const MAX_CLIENT_ITERATIONS = 10_000_000;

const hmac = (d: ScramDigest, key: Buffer, text: string | Buffer) => crypto().createHmac(d, key).update(text).digest();
const hash = (d: ScramDigest, data: Buffer) => crypto().createHash(d).update(data).digest();
const xor = (a: Buffer, b: Buffer) => Buffer.from(a.map((x, i) => x ^ b[i]!));

/** Hi() of RFC 5802: PBKDF2 with HMAC of the digest, on libuv's pool. */
export function saltedPassword(d: ScramDigest, password: string | Buffer, salt: Buffer, iterations: number): Promise<Buffer> {
  const length = d === 'sha256' ? 32 : 64;
  return new Promise((resolve, reject) => crypto().pbkdf2(password, salt, iterations, length, d, (err, key) => (err ? reject(err) : resolve(key))));
}

export function clientKeyOf(d: ScramDigest, salted: Buffer): Buffer {
  return hmac(d, salted, 'Client Key');
}

/** The stored form of a password (for a password file line). */
export async function scramCredentials(d: ScramDigest, password: string | Buffer, salt: Buffer, iterations: number): Promise<ScramCredentials> {
  const salted = await saltedPassword(d, password, salt, iterations);
  return { iterations, salt, storedKey: hash(d, clientKeyOf(d, salted)), serverKey: hmac(d, salted, 'Server Key') };
}

export function newNonce(): string {
  return crypto().randomBytes(18).toString('base64');
}

/** saslname of RFC 5802: ',' and '=' escaped. */
function escapeName(name: string): string {
  return name.replace(/=/g, '=3D').replace(/,/g, '=2C');
}

function unescapeName(text: string): string | undefined {
  if (/=(?!2C|3D)/.test(text)) return undefined;
  return text.replace(/=2C/g, ',').replace(/=3D/g, '=');
}

/** Attributes of a message, in order; undefined when one is not `x=value`. */
function attributes(text: string): Array<[string, string]> | undefined {
  const out: Array<[string, string]> = [];
  for (const part of text.split(',')) {
    const m = /^([A-Za-z])=(.*)$/s.exec(part);
    if (!m) return undefined;
    out.push([m[1]!, m[2]!]);
  }
  return out;
}

/** printable except ',' (RFC 5802 "printable") */
const NONCE = /^[\x21-\x2b\x2d-\x7e]+$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export class ScramError extends Error {}

export interface ClientFirst {
  username: string;
  nonce: string;
  /** client-first-message-bare, part of the AuthMessage */
  bare: string;
}

export function clientFirstMessage(username: string, nonce: string): ClientFirst {
  const bare = `n=${escapeName(username)},r=${nonce}`;
  return { username, nonce, bare };
}

export function encodeClientFirst(m: ClientFirst): Buffer {
  return Buffer.from(GS2_HEADER + m.bare, 'utf8');
}

export function parseClientFirst(data: Buffer | undefined): ClientFirst {
  const text = data?.toString('utf8') ?? '';
  // only "n,," is accepted: no channel binding, no authzid ("y,," would claim we offer none wrongly too)
  if (!text.startsWith(GS2_HEADER)) throw new ScramError('client-first-message without GS2 header "n,,"');
  const bare = text.slice(GS2_HEADER.length);
  const attrs = attributes(bare);
  if (!attrs || attrs.length < 2 || attrs[0]![0] !== 'n' || attrs[1]![0] !== 'r') throw new ScramError('malformed client-first-message');
  if (attrs.some(([k]) => k === 'm')) throw new ScramError('mandatory extension in client-first-message');
  const username = unescapeName(attrs[0]![1]);
  const nonce = attrs[1]![1];
  if (!username || !NONCE.test(nonce)) throw new ScramError('malformed user name or nonce in client-first-message');
  return { username, nonce, bare };
}

export interface ServerFirst {
  nonce: string;
  salt: Buffer;
  iterations: number;
  text: string;
}

export function serverFirstMessage(clientNonce: string, salt: Buffer, iterations: number): ServerFirst {
  const nonce = clientNonce + newNonce();
  return { nonce, salt, iterations, text: `r=${nonce},s=${salt.toString('base64')},i=${iterations}` };
}

export function parseServerFirst(data: Buffer | undefined, clientNonce: string): ServerFirst {
  const text = data?.toString('utf8') ?? '';
  const attrs = attributes(text);
  if (!attrs || attrs.length < 3 || attrs[0]![0] !== 'r' || attrs[1]![0] !== 's' || attrs[2]![0] !== 'i') {
    throw new ScramError('malformed server-first-message');
  }
  const nonce = attrs[0]![1];
  // the server's nonce extends ours: anything else is not an answer to this exchange
  if (!nonce.startsWith(clientNonce) || nonce.length === clientNonce.length || !NONCE.test(nonce)) throw new ScramError('server nonce does not extend the client nonce');
  if (!BASE64.test(attrs[1]![1]) || attrs[1]![1] === '') throw new ScramError('salt is not base64');
  const iterations = /^[1-9][0-9]{0,9}$/.test(attrs[2]![1]) ? Number(attrs[2]![1]) : NaN;
  if (!(iterations <= MAX_SCRAM_ITERATIONS)) throw new ScramError(`bad iteration count '${attrs[2]![1]}'`);
  // a server could otherwise hold the client in PBKDF2 for hours (node waits for it to finish)
  if (iterations > MAX_CLIENT_ITERATIONS) throw new ScramError(`server asks for ${iterations} iterations, more than ${MAX_CLIENT_ITERATIONS}`);
  return { nonce, salt: Buffer.from(attrs[1]![1], 'base64'), iterations, text };
}

function authMessage(first: ClientFirst, server: ServerFirst, finalWithoutProof: string): string {
  return `${first.bare},${server.text},${finalWithoutProof}`;
}

/** The client's answer: client-final-message, and the server signature to expect in return. */
export async function clientFinalMessage(
  d: ScramDigest,
  password: string | Buffer,
  first: ClientFirst,
  server: ServerFirst,
): Promise<{ message: Buffer; serverSignature: Buffer }> {
  const salted = await saltedPassword(d, password, server.salt, server.iterations);
  const clientKey = clientKeyOf(d, salted);
  const withoutProof = `c=${NO_CHANNEL_BINDING},r=${server.nonce}`;
  const auth = authMessage(first, server, withoutProof);
  const proof = xor(clientKey, hmac(d, hash(d, clientKey), auth));
  const serverSignature = hmac(d, hmac(d, salted, 'Server Key'), auth);
  return { message: Buffer.from(`${withoutProof},p=${proof.toString('base64')}`, 'utf8'), serverSignature };
}

/**
 * The server's check of client-final-message: the nonce must be this exchange's and the proof
 * must match the stored key. Returns server-final-message, or throws ScramError saying why.
 */
export function verifyClientFinal(d: ScramDigest, creds: ScramCredentials, first: ClientFirst, server: ServerFirst, data: Buffer | undefined): Buffer {
  const text = data?.toString('utf8') ?? '';
  const attrs = attributes(text);
  const proofAt = text.lastIndexOf(',p=');
  if (!attrs || attrs.length < 3 || attrs[0]![0] !== 'c' || attrs[1]![0] !== 'r' || attrs.at(-1)![0] !== 'p' || proofAt < 0) {
    throw new ScramError('malformed client-final-message');
  }
  if (attrs[0]![1] !== NO_CHANNEL_BINDING) throw new ScramError('channel binding is not "biws" (n,,)');
  if (attrs[1]![1] !== server.nonce) throw new ScramError('nonce is not the one of this exchange');
  const proofText = attrs.at(-1)![1];
  if (!BASE64.test(proofText)) throw new ScramError('proof is not base64');
  const proof = Buffer.from(proofText, 'base64');
  const auth = authMessage(first, server, text.slice(0, proofAt));
  const signature = hmac(d, creds.storedKey, auth);
  if (proof.length !== signature.length) throw new ScramError('wrong proof');
  const clientKey = xor(proof, signature);
  // constant time: the proof is the password's stand-in
  if (!crypto().timingSafeEqual(hash(d, clientKey), creds.storedKey)) throw new ScramError('wrong proof');
  return Buffer.from(`v=${hmac(d, creds.serverKey, auth).toString('base64')}`, 'utf8');
}

/** The client's check of server-final-message: the server knew the password too. */
export function verifyServerFinal(data: Buffer | undefined, expected: Buffer): void {
  const text = data?.toString('utf8') ?? '';
  const m = /^v=([A-Za-z0-9+/=]+)$/.exec(text);
  if (!m) throw new ScramError(text.startsWith('e=') ? `server error: ${text.slice(2)}` : 'malformed server-final-message');
  const got = Buffer.from(m[1]!, 'base64');
  if (got.length !== expected.length || !crypto().timingSafeEqual(got, expected)) throw new ScramError('wrong server signature');
}
