import { createDecipheriv, createHmac } from 'node:crypto';
import type { Timestamp } from './frame.js';
import type { KeyLog, SessionSecrets } from './tls-keylog.js';
import type { StreamSink } from './tcp-reassembly.js';

const CHANGE_CIPHER_SPEC = 20;
const ALERT = 21;
const HANDSHAKE = 22;
const APPLICATION_DATA = 23;
const HS_CLIENT_HELLO = 1;
const HS_SERVER_HELLO = 2;
const HS_FINISHED = 20;
const TAG = 16;

interface Suite {
  cipher: 'aes-128-gcm' | 'aes-256-gcm' | 'chacha20-poly1305';
  keyLength: number;
  hash: 'sha256' | 'sha384';
  tls13: boolean;
}

/** The AEAD suites tshark decrypts most often and our peers negotiate; others are named and left. */
const SUITES: Readonly<Record<number, Suite>> = {
  0x1301: { cipher: 'aes-128-gcm', keyLength: 16, hash: 'sha256', tls13: true },
  0x1302: { cipher: 'aes-256-gcm', keyLength: 32, hash: 'sha384', tls13: true },
  0x1303: { cipher: 'chacha20-poly1305', keyLength: 32, hash: 'sha256', tls13: true },
  0xc02f: { cipher: 'aes-128-gcm', keyLength: 16, hash: 'sha256', tls13: false }, // ECDHE-RSA-AES128-GCM-SHA256
  0xc030: { cipher: 'aes-256-gcm', keyLength: 32, hash: 'sha384', tls13: false }, // ECDHE-RSA-AES256-GCM-SHA384
  0xc02b: { cipher: 'aes-128-gcm', keyLength: 16, hash: 'sha256', tls13: false }, // ECDHE-ECDSA-AES128-GCM-SHA256
  0xc02c: { cipher: 'aes-256-gcm', keyLength: 32, hash: 'sha384', tls13: false }, // ECDHE-ECDSA-AES256-GCM-SHA384
  0xcca8: { cipher: 'chacha20-poly1305', keyLength: 32, hash: 'sha256', tls13: false },
  0xcca9: { cipher: 'chacha20-poly1305', keyLength: 32, hash: 'sha256', tls13: false },
  0x009e: { cipher: 'aes-128-gcm', keyLength: 16, hash: 'sha256', tls13: false }, // DHE-RSA-AES128-GCM-SHA256
  0x009f: { cipher: 'aes-256-gcm', keyLength: 32, hash: 'sha384', tls13: false },
};

/** HKDF-Expand (RFC 5869) */
function hkdfExpand(hash: string, prk: Buffer, info: Buffer, length: number): Buffer {
  const out: Buffer[] = [];
  let t = Buffer.alloc(0);
  for (let i = 1; Buffer.concat(out).length < length; i++) {
    t = createHmac(hash, prk).update(Buffer.concat([t, info, Buffer.from([i])])).digest();
    out.push(t);
  }
  return Buffer.concat(out).subarray(0, length);
}

/** HKDF-Expand-Label of TLS 1.3 (RFC 8446 7.1), empty context */
function expandLabel(hash: string, secret: Buffer, label: string, length: number): Buffer {
  const full = Buffer.from(`tls13 ${label}`, 'latin1');
  const info = Buffer.concat([Buffer.from([length >> 8, length & 0xff, full.length]), full, Buffer.from([0])]);
  return hkdfExpand(hash, secret, info, length);
}

/** TLS 1.2 PRF (RFC 5246 5): P_hash(secret, label + seed) */
function prf12(hash: string, secret: Buffer, label: string, seed: Buffer, length: number): Buffer {
  const labelSeed = Buffer.concat([Buffer.from(label, 'latin1'), seed]);
  const out: Buffer[] = [];
  let a = labelSeed;
  let total = 0;
  while (total < length) {
    a = createHmac(hash, secret).update(a).digest();
    const chunk = createHmac(hash, secret).update(Buffer.concat([a, labelSeed])).digest();
    out.push(chunk);
    total += chunk.length;
  }
  return Buffer.concat(out).subarray(0, length);
}

interface Keys {
  key: Buffer;
  /** TLS 1.3 and ChaCha: the 12-byte IV; TLS 1.2 GCM: the 4-byte implicit salt */
  iv: Buffer;
  seq: bigint;
}

function seqBytes(seq: bigint): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(seq);
  return b;
}

function xorNonce(iv: Buffer, seq: bigint): Buffer {
  const nonce = Buffer.from(iv);
  const s = seqBytes(seq);
  for (let i = 0; i < 8; i++) nonce[nonce.length - 8 + i]! ^= s[i]!;
  return nonce;
}

function open(suite: Suite, keys: Keys, nonce: Buffer, aad: Buffer, sealed: Buffer): Buffer | null {
  if (sealed.length < TAG) return null;
  try {
    const d = createDecipheriv(suite.cipher, keys.key, nonce, { authTagLength: TAG } as never) as unknown as {
      setAAD(b: Buffer, o?: object): void;
      setAuthTag(b: Buffer): void;
      update(b: Buffer): Buffer;
      final(): Buffer;
    };
    d.setAAD(aad, { plaintextLength: sealed.length - TAG });
    d.setAuthTag(sealed.subarray(sealed.length - TAG));
    return Buffer.concat([d.update(sealed.subarray(0, sealed.length - TAG)), d.final()]);
  } catch {
    return null;
  }
}

export interface TlsEvents {
  note(message: string, at: Timestamp): void;
}

/**
 * Both directions of one TLS connection, decrypted with an NSS key log: TLS 1.3 (handshake and
 * application traffic secrets) and TLS 1.2 (CLIENT_RANDOM master secret) with AES-GCM or
 * ChaCha20-Poly1305. The application data of each direction goes on to its inner sink (the MQTT
 * decoder) as one byte stream, as tshark's "Decrypted TLS" does.
 */
export class TlsSessionDecoder {
  readonly client: StreamSink;
  readonly server: StreamSink;
  private clientRandom: Buffer | undefined;
  private serverRandom: Buffer | undefined;
  private suite: Suite | undefined;
  private secrets: SessionSecrets | undefined;
  private lost = false;

  constructor(
    private readonly keylog: () => KeyLog,
    clientInner: StreamSink,
    serverInner: StreamSink,
    private readonly events: TlsEvents,
  ) {
    this.client = new TlsDirection(this, true, clientInner);
    this.server = new TlsDirection(this, false, serverInner);
  }

  /** A handshake message seen in clear (ClientHello, ServerHello). */
  sawHello(fromClient: boolean, body: Buffer, at: Timestamp): void {
    const type = body[0];
    if (fromClient && type === HS_CLIENT_HELLO && body.length >= 38) this.clientRandom = Buffer.from(body.subarray(6, 38));
    if (!fromClient && type === HS_SERVER_HELLO && body.length >= 39) {
      this.serverRandom = Buffer.from(body.subarray(6, 38));
      const sidLength = body[38]!;
      const code = body.readUInt16BE(39 + sidLength);
      this.suite = SUITES[code];
      if (!this.suite) this.fail(`TLS cipher suite 0x${code.toString(16).padStart(4, '0')} cannot be decrypted here`, at);
    }
  }

  fail(message: string, at: Timestamp): void {
    if (this.lost) return;
    this.lost = true;
    this.events.note(message, at);
  }

  get failed(): boolean {
    return this.lost;
  }

  /** The keys a direction uses now: `phase` handshake (TLS 1.3 only) or application. */
  keys(fromClient: boolean, phase: 'handshake' | 'application', at: Timestamp): Keys | undefined {
    const suite = this.suite;
    if (!suite || !this.clientRandom) {
      this.fail('encrypted TLS records before the hellos were seen: nothing to decrypt with', at);
      return undefined;
    }
    this.secrets ??= this.keylog().get(this.clientRandom.toString('hex'));
    if (!this.secrets) {
      this.fail(`no secrets for this TLS session in the key log (client random ${this.clientRandom.toString('hex').slice(0, 16)}…)`, at);
      return undefined;
    }
    if (suite.tls13) {
      const label = `${fromClient ? 'CLIENT' : 'SERVER'}_${phase === 'handshake' ? 'HANDSHAKE_TRAFFIC_SECRET' : 'TRAFFIC_SECRET_0'}`;
      const secret = this.secrets.get(label);
      if (!secret) {
        this.fail(`the key log has no ${label} for this TLS session`, at);
        return undefined;
      }
      return { key: expandLabel(suite.hash, secret, 'key', suite.keyLength), iv: expandLabel(suite.hash, secret, 'iv', 12), seq: 0n };
    }
    const master = this.secrets.get('CLIENT_RANDOM');
    if (!master || !this.serverRandom) {
      this.fail('the key log has no CLIENT_RANDOM line for this TLS 1.2 session', at);
      return undefined;
    }
    const ivLength = suite.cipher === 'chacha20-poly1305' ? 12 : 4;
    const block = prf12(suite.hash, master, 'key expansion', Buffer.concat([this.serverRandom, this.clientRandom]), 2 * suite.keyLength + 2 * ivLength);
    const k = suite.keyLength;
    return fromClient
      ? { key: block.subarray(0, k), iv: block.subarray(2 * k, 2 * k + ivLength), seq: 0n }
      : { key: block.subarray(k, 2 * k), iv: block.subarray(2 * k + ivLength, 2 * k + 2 * ivLength), seq: 0n };
  }

  /** Decrypts one record's fragment; the inner content type and the plaintext. */
  decrypt(header: Buffer, fragment: Buffer, keys: Keys): { type: number; plain: Buffer } | null {
    const suite = this.suite!;
    if (suite.tls13) {
      const plain = open(suite, keys, xorNonce(keys.iv, keys.seq), header, fragment);
      keys.seq++;
      if (!plain) return null;
      let end = plain.length;
      while (end > 0 && plain[end - 1] === 0) end--; // padding
      if (end === 0) return null;
      return { type: plain[end - 1]!, plain: plain.subarray(0, end - 1) };
    }
    const type = header[0]!;
    let nonce: Buffer;
    let sealed = fragment;
    if (suite.cipher === 'chacha20-poly1305') nonce = xorNonce(keys.iv, keys.seq);
    else {
      nonce = Buffer.concat([keys.iv, fragment.subarray(0, 8)]);
      sealed = fragment.subarray(8);
    }
    const length = Buffer.alloc(2);
    length.writeUInt16BE(Math.max(0, sealed.length - TAG));
    const aad = Buffer.concat([seqBytes(keys.seq), header.subarray(0, 3), length]);
    const plain = open(suite, keys, nonce, aad, sealed);
    keys.seq++;
    return plain ? { type, plain } : null;
  }

  get isTls13(): boolean {
    return this.suite?.tls13 ?? false;
  }
}

/** One direction: TLS records in, application data out. */
class TlsDirection implements StreamSink {
  private buffer = Buffer.alloc(0);
  private keys: Keys | undefined;
  private phase: 'clear' | 'handshake' | 'application' = 'clear';
  /** handshake bytes decrypted but not yet a whole message (TLS 1.3) */
  private handshake = Buffer.alloc(0);

  constructor(
    private readonly session: TlsSessionDecoder,
    private readonly fromClient: boolean,
    private readonly inner: StreamSink,
  ) {}

  data(bytes: Buffer, at: Timestamp): void {
    if (this.session.failed) return;
    this.buffer = this.buffer.length ? Buffer.concat([this.buffer, bytes]) : Buffer.from(bytes);
    while (this.buffer.length >= 5) {
      const length = this.buffer.readUInt16BE(3);
      if (this.buffer.length < 5 + length) break;
      const header = this.buffer.subarray(0, 5);
      const fragment = this.buffer.subarray(5, 5 + length);
      this.buffer = this.buffer.subarray(5 + length);
      this.record(header, fragment, at);
      if (this.session.failed) return;
    }
  }

  gap(bytes: number, at: Timestamp): void {
    // records and their sequence numbers cannot be found again
    this.session.fail(`gap in the capture (${bytes} bytes): TLS decryption stops for this connection`, at);
    this.inner.gap(bytes, at);
  }

  private record(header: Buffer, fragment: Buffer, at: Timestamp): void {
    const type = header[0]!;
    if (this.phase === 'clear') {
      if (type === HANDSHAKE) return this.session.sawHello(this.fromClient, fragment, at);
      if (type === CHANGE_CIPHER_SPEC) {
        // TLS 1.2: from here on this direction is encrypted; TLS 1.3 sends it for middleboxes only
        if (!this.session.isTls13) this.switchTo('application', at);
        return;
      }
      if (type === APPLICATION_DATA && this.session.isTls13) this.switchTo('handshake', at);
      else return;
    }
    if (type === CHANGE_CIPHER_SPEC) return;
    if (!this.keys) return;
    const opened = this.session.decrypt(header, fragment, this.keys);
    if (!opened) return this.session.fail('a TLS record did not decrypt with the key log\'s secrets', at);
    if (opened.type === APPLICATION_DATA) {
      if (opened.plain.length) this.inner.data(opened.plain, at);
    } else if (opened.type === HANDSHAKE && this.phase === 'handshake') {
      this.handshakeBytes(opened.plain, at);
    } else if (opened.type === ALERT) {
      // close_notify or an error: nothing for MQTT
    }
  }

  /** TLS 1.3: the encrypted handshake ends with this side's Finished; then application keys. */
  private handshakeBytes(plain: Buffer, at: Timestamp): void {
    this.handshake = Buffer.concat([this.handshake, plain]);
    while (this.handshake.length >= 4) {
      const length = this.handshake.readUIntBE(1, 3);
      if (this.handshake.length < 4 + length) return;
      const msgType = this.handshake[0];
      this.handshake = this.handshake.subarray(4 + length);
      if (msgType === HS_FINISHED) {
        this.switchTo('application', at);
        return;
      }
    }
  }

  private switchTo(phase: 'handshake' | 'application', at: Timestamp): void {
    this.phase = phase;
    this.keys = this.session.keys(this.fromClient, phase, at);
  }
}
