import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import tls, { type ConnectionOptions } from 'node:tls';
import type { TlsConfig } from './endpoint.js';

const TLS_VERSIONS = { 'tlsv1.1': 'TLSv1.1', 'tlsv1.2': 'TLSv1.2', 'tlsv1.3': 'TLSv1.3' } as const;

/**
 * Node TLS options from mosquitto-style settings. Differences that matter: --insecure keeps
 * chain verification and skips only the host name check (Node's rejectUnauthorized:false would
 * accept anything), and --tls-use-os-certs means Node's default CA store.
 */
export function buildTlsOptions(cfg: TlsConfig, host: string): ConnectionOptions {
  const ca: Buffer[] = [];
  if (cfg.caFile) ca.push(readFileSync(cfg.caFile));
  if (cfg.caPath) {
    for (const name of readdirSync(cfg.caPath)) {
      if (/\.(pem|crt|cer)$|^[0-9a-f]{8}\.\d+$/i.test(name)) ca.push(readFileSync(path.join(cfg.caPath, name)));
    }
  }
  const opts: ConnectionOptions = {
    servername: net_isIP(host) ? undefined : host,
    rejectUnauthorized: true,
  };
  if (ca.length > 0) opts.ca = cfg.useOsCerts ? [...tls.rootCertificates, ...ca.map(String)] : ca;
  if (cfg.certFile) opts.cert = readFileSync(cfg.certFile);
  if (cfg.keyFile) opts.key = readFileSync(cfg.keyFile);
  if (cfg.version) {
    opts.minVersion = TLS_VERSIONS[cfg.version];
  }
  if (cfg.ciphers) opts.ciphers = cfg.ciphers;
  if (cfg.alpn) opts.ALPNProtocols = [cfg.alpn];
  if (cfg.insecure) opts.checkServerIdentity = () => undefined;
  if (cfg.psk) {
    const key = Buffer.from(cfg.psk.keyHex, 'hex');
    const identity = cfg.psk.identity;
    opts.pskCallback = () => ({ psk: key, identity });
    opts.ciphers = cfg.ciphers ?? 'PSK';
    opts.checkServerIdentity = () => undefined;
  }
  return opts;
}

function net_isIP(host: string): boolean {
  return /^[\d.]+$/.test(host) || host.includes(':');
}
