import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import tls, { type SecureContextOptions, type TLSSocket, type TlsOptions } from 'node:tls';
import { ConfigFileError } from './config/config-error.js';
import type { SecurityOptions, TlsConfig } from './config/broker-config.js';
import { readSecretFile } from './auth/secret-file.js';
import type { BrokerLog } from './log.js';
import { isRevoked, parseCrlPem, type RevocationList } from './tls-revocation.js';

/** OpenSSL's own lookup names in a c_rehash'd directory: <subject hash>.<n> (CRLs are .r<n>). */
const HASHED_CERT = /^[0-9a-f]{8}\.[0-9]+$/;

/**
 * capath as OpenSSL reads it: the certificates under their hashed names (`openssl rehash DIR`
 * makes them). Node has no CApath lookup, so they are read up front, and again on SIGHUP.
 */
function capathCertificates(dir: string): Buffer[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (err) {
    throw new Error(`Error: Unable to open capath "${dir}": ${(err as Error).message}.`);
  }
  return names.filter((n) => HASHED_CERT.test(n)).sort().map((n) => readFileSync(path.join(dir, n)));
}

/** Node's default TLS 1.2 list, for when only ciphers_tls1.3 is given. */
function defaultTls12Ciphers(psk: boolean): string {
  const list = tls.DEFAULT_CIPHERS.split(':').filter((c) => !c.startsWith('TLS_'));
  // Node leaves PSK suites out by default; a PSK listener needs them for TLS 1.2 (Mosquitto
  // offers them too)
  return (psk ? list.filter((c) => c !== '!PSK') : list).join(':');
}

/**
 * Node takes one list for both: names starting TLS_ are TLS 1.3 ciphersuites (OpenSSL
 * SSL_CTX_set_ciphersuites), the rest the TLS 1.2 cipher list (SSL_CTX_set_cipher_list). With
 * no TLS_ names Node keeps its TLS 1.3 defaults, as Mosquitto does when ciphers_tls1.3 is unset.
 */
export function nodeCiphers(cfg: Pick<TlsConfig, 'ciphers' | 'ciphersTls13' | 'pskHint'>): string | undefined {
  const psk = cfg.pskHint !== undefined;
  if (cfg.ciphers === undefined && cfg.ciphersTls13 === undefined) return psk ? defaultTls12Ciphers(true) : undefined;
  const tls12 = cfg.ciphers ?? defaultTls12Ciphers(psk);
  return cfg.ciphersTls13 === undefined ? tls12 : `${tls12}:${cfg.ciphersTls13}`;
}

/** Everything of the listener's TLS that a reload may change (Node's setSecureContext). */
function secureContextOptions(cfg: TlsConfig): SecureContextOptions & { crlLists: RevocationList[] } {
  const ca: Buffer[] = [];
  if (cfg.caFile) ca.push(readFileSync(cfg.caFile));
  if (cfg.caPath) ca.push(...capathCertificates(cfg.caPath));
  let crlLists: RevocationList[] = [];
  let crl: Buffer | undefined;
  if (cfg.crlFile) {
    crl = readFileSync(cfg.crlFile);
    try {
      crlLists = parseCrlPem(crl.toString('latin1'));
    } catch (err) {
      throw new Error(`Error: Unable to load CRL file "${cfg.crlFile}": ${(err as Error).message}.`);
    }
    if (crlLists.length === 0) throw new Error(`Error: Unable to load CRL file "${cfg.crlFile}": no PEM "X509 CRL" in it.`);
  }
  const ciphers = nodeCiphers(cfg);
  return {
    ...(cfg.certFile && { cert: readFileSync(cfg.certFile) }),
    ...(cfg.keyFile && { key: readFileSync(cfg.keyFile) }),
    ...(ca.length > 0 && { ca }),
    ...(crl && { crl }),
    ...(ciphers && { ciphers }),
    ...(cfg.dhParamFile && { dhparam: readFileSync(cfg.dhParamFile) }),
    ...(cfg.minVersion && { minVersion: cfg.minVersion }),
    crlLists,
  };
}

/**
 * psk_file: `identity:hexkey` lines, read like a password file (comments, blank lines, blanks
 * around fields), with Mosquitto's errors for a key that is not hexadecimal.
 */
export async function loadPskFile(file: string): Promise<{ keys: Map<string, Buffer>; warnings: string[] }> {
  const { data, warnings } = await readSecretFile(file, () => `Error: Unable to open psk_file "${file}".`);
  const keys = new Map<string, Buffer>();
  data.toString('utf8').split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const colon = line.indexOf(':');
    const identity = colon < 0 ? line : line.slice(0, colon).trim();
    const key = colon < 0 ? '' : line.slice(colon + 1).split(':')[0]!.trim();
    const where = { file, line: i + 1 };
    if (key === '') throw new ConfigFileError(`Error: Empty psk for identity "${identity}".`, where);
    if (!/^[0-9a-fA-F]+$/.test(key)) throw new ConfigFileError(`Error: psk for identity "${identity}" contains non-hexadecimal characters.`, where);
    if (key.length % 2) throw new ConfigFileError(`Error: psk for identity "${identity}" has an odd number of hexadecimal digits.`, where);
    keys.set(identity, Buffer.from(key, 'hex'));
  });
  return { keys, warnings };
}

/** What startListener needs of a TLS listener: the server options and the live TLS state. */
export interface TlsListenerSetup {
  options: TlsOptions & { requireCertificate: boolean };
  state: TlsListenerState;
}

/**
 * A TLS listener's keys and trust that SIGHUP reloads: certificate, key, CA, CRL, ciphers,
 * DH parameters (Mosquitto reloads the certificate; the CRL must follow or a revocation would
 * wait for a restart) and the psk_file. Clients already connected whose certificate the new CRL
 * revokes are disconnected.
 */
export class TlsListenerState {
  private server: tls.Server | undefined;
  private readonly sockets = new Set<TLSSocket>();
  private readonly pskIdentities = new WeakMap<TLSSocket, string>();
  private pskKeys = new Map<string, Buffer>();
  private crlLists: RevocationList[] = [];

  private constructor(
    readonly config: TlsConfig,
    readonly security: SecurityOptions,
    /** where the listener is configured, for messages */
    readonly origin: string,
    private readonly log: BrokerLog,
  ) {}

  /** Reads everything the listener needs; errors say which file and why. */
  static async create(config: TlsConfig, security: SecurityOptions, origin: string, log: BrokerLog): Promise<TlsListenerSetup> {
    const state = new TlsListenerState(config, security, origin, log);
    const { crlLists, ...context } = secureContextOptions(config);
    state.crlLists = crlLists;
    await state.loadPsk();
    const options: TlsOptions & { requireCertificate: boolean } = {
      ...context,
      requestCert: config.requireCertificate,
      // verified all the same, by the listener (tls-failures.ts admit), which logs why it refuses
      rejectUnauthorized: false,
      requireCertificate: config.requireCertificate,
    };
    if (config.pskHint !== undefined) {
      options.pskIdentityHint = config.pskHint;
      options.pskCallback = (socket: TLSSocket, identity: string) => state.pskFor(socket, identity);
    }
    return { options, state };
  }

  private async loadPsk(): Promise<void> {
    if (this.config.pskHint === undefined) return;
    const file = this.security.pskFile;
    if (file === undefined) throw new ConfigFileError(`Error: psk_hint "${this.config.pskHint}" needs a psk_file to take keys from.`, { file: this.origin, line: 0 });
    const { keys, warnings } = await loadPskFile(file);
    warnings.forEach((w) => this.log.warning(w));
    this.pskKeys = keys;
  }

  private pskFor(socket: TLSSocket, identity: string): Buffer | null {
    const key = this.pskKeys.get(identity);
    if (key) this.pskIdentities.set(socket, identity);
    return key ?? null;
  }

  /** The server to reload; sockets it admits are given to `admitted`. */
  attach(server: tls.Server): void {
    this.server = server;
  }

  /** A client past the handshake (and the certificate check): watched for revocation. */
  admitted(socket: TLSSocket): void {
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
  }

  /** The identity use_identity_as_username takes: the PSK identity, else the certificate's CN. */
  identity(socket: TLSSocket): string | undefined {
    const psk = this.pskIdentities.get(socket);
    if (psk !== undefined) return psk;
    const cert = socket.getPeerCertificate();
    return cert && typeof cert.subject?.CN === 'string' ? cert.subject.CN : undefined;
  }

  /**
   * SIGHUP: new connections get the files as they are now. If a file cannot be read the
   * listener keeps what it had and the error is thrown for the caller to log.
   */
  async reload(): Promise<void> {
    const { crlLists, ...context } = secureContextOptions(this.config);
    await this.loadPsk();
    this.server?.setSecureContext(context);
    this.crlLists = crlLists;
    if (crlLists.length === 0) return;
    for (const socket of this.sockets) {
      const cert = socket.getPeerX509Certificate();
      if (cert && isRevoked(cert.raw, crlLists)) {
        this.log.notice(`Client certificate of ${socket.remoteAddress}:${socket.remotePort} (serial ${cert.serialNumber}) is revoked by the reloaded CRL, disconnecting.`);
        socket.destroy();
      }
    }
  }
}
