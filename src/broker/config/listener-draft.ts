import { defaultListener, defaultSecurityOptions, type ListenerConfig, type TlsConfig } from './broker-config.js';
import { ConfigFileError, describeLocation, type FileLocation } from './config-error.js';
import type { ConfigLine } from './config-lines.js';

export type TlsVersion = NonNullable<TlsConfig['minVersion']>;

/** Mosquitto's tls_version words, each the lowest version a listener accepts. */
export const TLS_VERSIONS: ReadonlyMap<string, TlsVersion> = new Map([
  ['tlsv1.3', 'TLSv1.3'],
  ['tlsv1.2', 'TLSv1.2'],
  ['tlsv1.1', 'TLSv1.1'],
]);

/** TLS options as written, each with the line that set it so errors can point there. */
export interface TlsDraft {
  certFile?: string;
  keyFile?: string;
  caFile?: string;
  caPath?: string;
  requireCertificate?: boolean;
  useIdentityAsUsername?: boolean;
  minVersion?: TlsVersion;
  crlFile?: string;
  ciphers?: string;
  ciphersTls13?: string;
  dhParamFile?: string;
  pskHint?: string;
  lines: Partial<Record<Exclude<keyof TlsDraft, 'lines'>, ConfigLine>>;
}

/** A listener while its section is read: its own security options, its TLS options as written. */
export interface ListenerDraft {
  listener: ListenerConfig;
  tls: TlsDraft;
  /** options given to it; only reported for the default listener, when it never comes to be */
  options: ConfigLine[];
}

export function newDraft(port: number, origin: FileLocation | string): ListenerDraft {
  const where = typeof origin === 'string' ? origin : describeLocation(origin);
  return { listener: defaultListener(port, defaultSecurityOptions(), where), tls: { lines: {} }, options: [] };
}

function refuse(line: ConfigLine, reason: string): never {
  throw new ConfigFileError(`Error: ${reason}`, line.loc);
}

/**
 * The listener's TLS settings, or undefined for a plain listener. Mosquitto 2.0 quietly opens a
 * plain listener when certfile or keyfile is missing, even with cafile or require_certificate
 * set: a configuration that asks for TLS and would not get it is refused here instead.
 */
export function finishTls(tls: TlsDraft): TlsConfig | undefined {
  const { certFile, keyFile, lines } = tls;
  if (certFile !== undefined && keyFile === undefined) refuse(lines.certFile!, 'certfile needs keyfile on the same listener, or the listener would not use TLS.');
  if (keyFile !== undefined && certFile === undefined) refuse(lines.keyFile!, 'keyfile needs certfile on the same listener, or the listener would not use TLS.');
  if (certFile === undefined || keyFile === undefined) {
    // with psk_hint the listener is TLS-PSK: options about certificates still need a certificate
    const psk = tls.pskHint !== undefined;
    const wanted = psk
      ? (['caFile', 'caPath', 'requireCertificate', 'crlFile'] as const)
      : (['caFile', 'caPath', 'requireCertificate', 'useIdentityAsUsername', 'minVersion', 'crlFile', 'ciphers', 'ciphersTls13', 'dhParamFile'] as const);
    const wantsTls = wanted.find((key) => tls[key] !== undefined && tls[key] !== false);
    if (wantsTls) {
      const what = psk ? 'a certificate' : 'TLS';
      refuse(lines[wantsTls]!, `${lines[wantsTls]!.keyword} needs certfile and keyfile on the same listener, or the listener would not use ${what}.`);
    }
    if (!psk) return undefined;
  }
  if (tls.ciphersTls13 !== undefined && !/^TLS_[A-Z0-9_]+(:TLS_[A-Z0-9_]+)*$/.test(tls.ciphersTls13)) {
    refuse(lines.ciphersTls13!, `ciphers_tls1.3 takes TLS 1.3 ciphersuites separated by ':' (TLS_AES_256_GCM_SHA384:TLS_AES_128_GCM_SHA256), not "${tls.ciphersTls13}".`);
  }
  if (tls.ciphers !== undefined && tls.ciphers.split(':').some((c) => c.startsWith('TLS_'))) {
    refuse(lines.ciphers!, 'ciphers is for TLS 1.2 and earlier; put TLS 1.3 ciphersuites (TLS_…) in ciphers_tls1.3.');
  }
  if (tls.requireCertificate && tls.caFile === undefined && tls.caPath === undefined) {
    refuse(lines.requireCertificate!, 'require_certificate needs cafile or capath to check client certificates against.');
  }
  return {
    ...(certFile !== undefined && { certFile }),
    ...(keyFile !== undefined && { keyFile }),
    ...(tls.caFile !== undefined && { caFile: tls.caFile }),
    ...(tls.caPath !== undefined && { caPath: tls.caPath }),
    requireCertificate: tls.requireCertificate ?? false,
    useIdentityAsUsername: tls.useIdentityAsUsername ?? false,
    ...(tls.minVersion !== undefined && { minVersion: tls.minVersion }),
    ...(tls.crlFile !== undefined && { crlFile: tls.crlFile }),
    ...(tls.ciphers !== undefined && { ciphers: tls.ciphers }),
    ...(tls.ciphersTls13 !== undefined && { ciphersTls13: tls.ciphersTls13 }),
    ...(tls.dhParamFile !== undefined && { dhParamFile: tls.dhParamFile }),
    ...(tls.pskHint !== undefined && { pskHint: tls.pskHint }),
  };
}
