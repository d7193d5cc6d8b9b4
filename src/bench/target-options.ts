import type { Endpoint, Scheme, TlsConfig } from '../core/transport/endpoint.js';
import type { ProtocolVersion } from '../core/protocol/types.js';
import { UsageError } from '../core/errors/input-errors.js';
import type { BenchTarget } from './plan.js';

/**
 * Bench's own connection options. The shared option groups (src/cli/options) replay options
 * mosquitto-style into pub/sub state and were still being written when bench was; bench needs
 * only a subset, plus -A with several addresses, so it declares that subset here. Flags and
 * meanings match pub/sub, so moving to the shared groups later changes no command line.
 */
export interface TargetOptions {
  host?: string;
  port?: string;
  url?: string;
  username?: string;
  pw?: string;
  protocolVersion?: string;
  keepalive?: string;
  bind?: string;
  idPrefix?: string;
  cafile?: string;
  cert?: string;
  key?: string;
  insecure?: boolean;
  ciphers?: string;
  tlsVersion?: string;
  psk?: string;
  pskIdentity?: string;
  tlsKeylog?: string;
  connectTimeout?: string;
}

export const TARGET_FLAGS: Array<[flags: string, description: string]> = [
  ['-h, --host <host>', 'broker host (default: localhost)'],
  ['-p, --port <port>', 'broker port (default: 1883, 8883 with TLS)'],
  ['-L, --url <url>', 'broker as a URL: mqtt|mqtts|ws|wss://[user[:password]@]host[:port][/ws-path], or unix:///path'],
  ['-u, --username <username>', 'username'],
  ['-P, --pw <password>', 'password'],
  ['-V, --protocol-version <version>', 'mqttv5 (5), mqttv311 (311) or mqttv31 (31) (default: mqttv311)'],
  ['-k, --keepalive <seconds>', 'keep alive interval (default: 60)'],
  ['-A, --bind <addresses>', 'local address(es) to connect from, comma-separated, used in turn (e.g. 127.0.0.2,127.0.0.3 for more connections than one address has ports)'],
  ['--id-prefix <prefix>', 'client id prefix; ids are prefix + p|s|c + index (default: mb<pid>-)'],
  ['--cafile <file>', 'PEM CA certificates; turns on TLS'],
  ['--cert <file>', 'client certificate (PEM)'],
  ['--key <file>', 'client private key (PEM)'],
  ['--insecure', "don't check the broker certificate's host name"],
  ['--ciphers <ciphers>', 'OpenSSL cipher list (TLS 1.3 suites by their TLS_ names)'],
  ['--tls-version <version>', 'minimum TLS version: tlsv1.3, tlsv1.2 or tlsv1.1'],
  ['--psk <hex-key>', 'TLS-PSK key in hexadecimal; turns on TLS, needs --psk-identity'],
  ['--psk-identity <identity>', 'TLS-PSK identity'],
  ['--tls-keylog <file>', 'append TLS secrets in NSS key log format (SSLKEYLOGFILE), for tshark or mqtt sniff --tls-keylog'],
  ['--connect-timeout <seconds>', 'give up on a connection handshake after this long (default: 10)'],
];

const VERSIONS: Record<string, ProtocolVersion> = { mqttv31: 3, '31': 3, mqttv311: 4, '311': 4, mqttv5: 5, '5': 5 };
const DEFAULT_PORTS: Record<Scheme, number> = { mqtt: 1883, mqtts: 8883, ws: 80, wss: 443, unix: 0 };

/** A whole number in [min, max], or a usage error naming the option. */
export function intOption(value: string | undefined, name: string, fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value.trim())) throw new UsageError(`${name} must be a whole number, got '${value}'.`);
  const n = Number(value);
  if (n < min || n > max) throw new UsageError(`${name} must be between ${min} and ${max}, got ${n}.`);
  return n;
}

/** A non-negative number (fractions allowed), or a usage error naming the option. */
export function numberOption(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0) throw new UsageError(`${name} must be a number of 0 or more, got '${value}'.`);
  return n;
}

function parseUrl(text: string): { endpoint: Endpoint; username?: string; password?: string } {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`Invalid URL '${text}'.`);
  }
  const scheme = url.protocol.replace(/:$/, '').toLowerCase() as Scheme;
  if (!(scheme in DEFAULT_PORTS)) throw new UsageError(`Unsupported URL scheme '${url.protocol}' (mqtt, mqtts, ws, wss, unix).`);
  if (scheme === 'unix') {
    if (!url.pathname || url.pathname === '/') throw new UsageError('A unix: URL needs a socket path, e.g. unix:///run/mosquitto.sock.');
    return { endpoint: { scheme, host: url.pathname, port: 0, path: url.pathname } };
  }
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (!host) throw new UsageError(`The URL '${text}' has no host.`);
  const endpoint: Endpoint = { scheme, host, port: url.port ? Number(url.port) : DEFAULT_PORTS[scheme] };
  if ((scheme === 'ws' || scheme === 'wss') && url.pathname && url.pathname !== '/') endpoint.path = url.pathname;
  return {
    endpoint,
    username: url.username ? decodeURIComponent(url.username) : undefined,
    password: url.password ? decodeURIComponent(url.password) : undefined,
  };
}

const TLS_VERSIONS = ['tlsv1.1', 'tlsv1.2', 'tlsv1.3'] as const;

/** The TLS settings the options give, or undefined when they give none. */
function benchTls(o: TargetOptions): TlsConfig | undefined {
  if (o.psk !== undefined && !/^[0-9a-fA-F]+$/.test(o.psk)) throw new UsageError('--psk must be a hexadecimal key (no leading 0x).');
  if ((o.psk === undefined) !== (o.pskIdentity === undefined)) throw new UsageError('--psk and --psk-identity must be given together.');
  if (o.psk !== undefined && o.cafile !== undefined) throw new UsageError('Only one of --psk or --cafile may be used at once.');
  let version: TlsConfig['version'];
  if (o.tlsVersion !== undefined) {
    version = TLS_VERSIONS.find((v) => v === o.tlsVersion!.toLowerCase());
    if (!version) throw new UsageError(`Invalid --tls-version '${o.tlsVersion}' (tlsv1.3, tlsv1.2 or tlsv1.1).`);
  }
  const tls: TlsConfig = {
    ...(o.cafile !== undefined && { caFile: o.cafile }),
    ...(o.cert !== undefined && { certFile: o.cert }),
    ...(o.key !== undefined && { keyFile: o.key }),
    ...(o.insecure && { insecure: true }),
    ...(o.ciphers !== undefined && { ciphers: o.ciphers }),
    ...(version && { version }),
    ...(o.psk !== undefined && { psk: { identity: o.pskIdentity!, keyHex: o.psk } }),
    ...(o.tlsKeylog !== undefined && { keylogFile: o.tlsKeylog }),
  };
  return Object.keys(tls).length > 0 ? tls : undefined;
}

export function resolveTarget(o: TargetOptions): BenchTarget {
  const fromUrl = o.url !== undefined ? parseUrl(o.url) : undefined;
  const tls = benchTls(o);
  if ((o.cert === undefined) !== (o.key === undefined)) throw new UsageError('--cert and --key must be given together.');
  const endpoint: Endpoint = fromUrl?.endpoint ?? { scheme: o.cafile || o.psk ? 'mqtts' : 'mqtt', host: 'localhost', port: 0 };
  if (o.host !== undefined) endpoint.host = o.host;
  if (o.port !== undefined) endpoint.port = intOption(o.port, '--port', 0, 1, 65535);
  if (endpoint.scheme !== 'unix' && endpoint.port === 0) endpoint.port = DEFAULT_PORTS[endpoint.scheme];
  if (endpoint.scheme === 'mqtt' && (tls?.caFile || tls?.psk)) endpoint.scheme = 'mqtts';
  const tlsOnly = ([['keylogFile', '--tls-keylog'], ['ciphers', '--ciphers'], ['version', '--tls-version']] as const).find(([k]) => tls?.[k] !== undefined);
  if (tlsOnly && endpoint.scheme !== 'mqtts' && endpoint.scheme !== 'wss') {
    throw new UsageError(`${tlsOnly[1]} needs a TLS connection (--cafile, --psk, or an mqtts:// or wss:// URL).`);
  }
  let protocolVersion: ProtocolVersion = 4;
  if (o.protocolVersion !== undefined) {
    const v = VERSIONS[o.protocolVersion];
    if (v === undefined) throw new UsageError(`Invalid protocol version '${o.protocolVersion}' (mqttv5, mqttv311 or mqttv31).`);
    protocolVersion = v;
  }
  const password = o.pw ?? fromUrl?.password;
  const username = o.username ?? fromUrl?.username;
  if (password !== undefined && username === undefined) throw new UsageError('A password needs a username (-u).');
  const secure = endpoint.scheme === 'mqtts' || endpoint.scheme === 'wss';
  return {
    endpoint,
    tls: secure ? { ...(tls?.caFile || tls?.psk ? {} : { useOsCerts: true }), ...tls } : tls,
    protocolVersion,
    username,
    password,
    keepalive: intOption(o.keepalive, '--keepalive', 60, 0, 65535),
    bindAddresses: o.bind ? o.bind.split(',').map((a) => a.trim()).filter((a) => a !== '') : [],
    nodelay: true,
    idPrefix: o.idPrefix ?? `mb${process.pid}-`,
    connectTimeoutMs: numberOption(o.connectTimeout, '--connect-timeout', 10) * 1000,
  };
}
