import { accessSync, constants, statSync } from 'node:fs';
import type { TlsConfig } from '../../core/transport/endpoint.js';
import { checkKeylogFile } from '../../core/transport/tls-keylog.js';
import { CliError, UsageError } from '../errors.js';
import type { OptionGroup } from './option-command.js';
import type { OptionState } from './state.js';

const TLS_VERSIONS = ['tlsv1.1', 'tlsv1.2', 'tlsv1.3'] as const;

function unsupported(what: string): never {
  throw new UsageError(`${what} is not supported: Node.js has no OpenSSL engine support.`);
}

export const tlsGroup: OptionGroup = {
  heading: 'TLS:',
  specs: [
    {
      flags: '--cafile <file>',
      description: 'PEM file of trusted CA certificates; turns on TLS',
      missing: '--cafile argument given but no file specified.',
      apply: (s, v) => void (s.tls.caFile = v!),
    },
    {
      flags: '--capath <dir>',
      description: 'directory of trusted CA certificates; turns on TLS',
      missing: '--capath argument given but no directory specified.',
      apply: (s, v) => void (s.tls.caPath = v!),
    },
    {
      flags: '--cert <file>',
      description: 'client certificate (PEM), with --key',
      missing: '--cert argument given but no file specified.',
      apply: (s, v) => void (s.tls.certFile = v!),
    },
    {
      flags: '--key <file>',
      description: 'client private key (PEM), with --cert',
      missing: '--key argument given but no file specified.',
      apply: (s, v) => void (s.tls.keyFile = v!),
    },
    {
      flags: '--keyform <keyform>',
      description: 'key file type: pem (engine is not supported)',
      missing: '--keyform argument given but no keyform specified.',
      apply: (s, v) => void (s.tls.keyform = v!),
    },
    {
      flags: '--tls-use-os-certs',
      description: "trust the OS certificate store (Node's); turns on TLS",
      apply: (s) => void (s.tls.useOsCerts = true),
    },
    {
      flags: '--tls-version <version>',
      description: 'minimum TLS version: tlsv1.3, tlsv1.2 or tlsv1.1',
      missing: '--tls-version argument given but no version specified.',
      apply: (s, v) => void (s.tls.version = v!),
    },
    {
      flags: '--ciphers <ciphers>',
      description: 'OpenSSL cipher list',
      missing: '--ciphers argument given but no ciphers specified.',
      apply: (s, v) => void (s.tls.ciphers = v!),
    },
    {
      flags: '--tls-keylog <file>',
      description: "append the connection's TLS secrets to this file in NSS key log format (as SSLKEYLOGFILE), so Wireshark, tshark or mqtt sniff --tls-keylog can decrypt a capture; file mode 0600",
      missing: '--tls-keylog argument given but no file specified.',
      apply: (s, v) => void (s.tls.keylog = v!),
    },
    {
      flags: '--tls-alpn <protocol>',
      description: 'ALPN protocol to offer, e.g. x-amzn-mqtt-ca',
      missing: '--tls-alpn argument given but no protocol specified.',
      apply: (s, v) => void (s.tls.alpn = v!),
    },
    {
      flags: '--insecure',
      description: "don't check that the certificate's host name matches the broker's (the chain is still verified); not for production",
      apply: (s) => void (s.tls.insecure = true),
    },
    {
      flags: '--psk <hex-key>',
      description: 'TLS-PSK key in hexadecimal (no leading 0x); turns on TLS, needs --psk-identity',
      missing: '--psk argument given but no key specified.',
      apply: (s, v) => void (s.tls.psk = v!),
    },
    {
      flags: '--psk-identity <identity>',
      description: 'TLS-PSK identity',
      missing: '--psk-identity argument given but no identity specified.',
      apply: (s, v) => void (s.tls.pskIdentity = v!),
    },
    {
      flags: '--tls-engine <engine>',
      description: 'OpenSSL engine: not supported',
      missing: '--tls-engine argument given but no engine_id specified.',
      apply: () => unsupported('--tls-engine'),
    },
    {
      flags: '--tls-engine-kpass-sha1 <sha1>',
      description: 'key password SHA1 for an OpenSSL engine: not supported',
      missing: '--tls-engine-kpass-sha1 argument given but no kpass sha1 specified.',
      apply: () => unsupported('--tls-engine-kpass-sha1'),
    },
  ],
};

/** The pairing rules mosquitto checks with the other argument errors (client_config_load). */
export function checkTlsPairs(state: OptionState): void {
  const t = state.tls;
  if ((t.certFile === undefined) !== (t.keyFile === undefined)) {
    throw new UsageError('Both certfile and keyfile must be provided if one of them is set.');
  }
  if (t.keyform !== undefined && t.keyFile === undefined) throw new UsageError('If keyform is set, keyfile must be also specified.');
  if ((t.caFile !== undefined || t.caPath !== undefined) && t.psk !== undefined) {
    throw new UsageError('Only one of --psk or --cafile/--capath may be used at once.');
  }
  if (t.psk !== undefined && t.pskIdentity === undefined) throw new UsageError('--psk-identity required if --psk used.');
}

/** A CA file, CA path or PSK moves the default port to 8883 (client_connect). */
export function hasTlsMaterial(state: OptionState): boolean {
  return state.tls.caFile !== undefined || state.tls.caPath !== undefined || state.tls.psk !== undefined;
}

/**
 * The TLS settings, or undefined for a plain connection. TLS is on with a CA file/path, a PSK,
 * --tls-use-os-certs (also set by mqtts:// and wss://) or an explicit port 8883 (client_tls_opts_set).
 * Unlike mosquitto, --cert/--key are used whenever TLS is on, not only with --cafile/--capath.
 * Problems are reported the way libmosquitto reports them when the options are set: exit 1,
 * no usage hint, silent with --quiet.
 */
export function resolveTls(state: OptionState): TlsConfig | undefined {
  const t = state.tls;
  const fail = (message: string): never => {
    throw new CliError(state.conn.quiet ? '' : message, 1);
  };
  let version: TlsConfig['version'];
  if (t.version !== undefined) {
    version = TLS_VERSIONS.find((v) => v === t.version!.toLowerCase());
    if (!version) fail('Error: Problem setting TLS options, check the options are valid.');
  }
  const on = hasTlsMaterial(state) || t.useOsCerts || state.conn.port === 8883;
  if (!on) {
    if (t.keylog !== undefined) fail('Error: --tls-keylog needs a TLS connection (--cafile, --capath, --psk, --tls-use-os-certs, -p 8883 or an mqtts:// or wss:// URL).');
    return undefined;
  }
  for (const file of [t.caFile, t.certFile, t.keyFile]) {
    if (file !== undefined && !readableFile(file)) fail('Error: Problem setting TLS options: File not found.');
  }
  if (t.psk !== undefined && !/^[0-9a-fA-F]+$/.test(t.psk)) fail('Error: Problem setting TLS-PSK options.');
  if (t.keyform !== undefined && !['pem', 'engine'].includes(t.keyform.toLowerCase())) {
    fail("Error: Problem setting key form, it must be one of 'pem' or 'engine'.");
  }
  if (t.keyform?.toLowerCase() === 'engine') unsupported('--keyform engine');
  return {
    caFile: t.caFile,
    caPath: t.caPath,
    certFile: t.certFile,
    keyFile: t.keyFile,
    // without a CA file or path, the OS store is what the chain is checked against
    useOsCerts: t.useOsCerts || (t.caFile === undefined && t.caPath === undefined && t.psk === undefined),
    insecure: t.insecure,
    version,
    ciphers: t.ciphers,
    alpn: t.alpn,
    psk: t.psk !== undefined ? { identity: t.pskIdentity!, keyHex: t.psk } : undefined,
    ...(t.keylog !== undefined && { keylogFile: keylogFile(t.keylog, fail) }),
  };
}

/** The key log file, opened now so that a path it cannot write is an error before connecting. */
function keylogFile(file: string, fail: (message: string) => never): string {
  try {
    checkKeylogFile(file);
  } catch (err) {
    fail(`Error: Unable to open TLS key log file ${file}: ${(err as Error).message}.`);
  }
  return file;
}

function readableFile(file: string): boolean {
  try {
    accessSync(file, constants.R_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
}
