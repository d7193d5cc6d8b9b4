import { scramDigest, type ScramMethod } from '../../core/auth/scram-methods.js';
import { UsageError } from '../errors.js';
import { strtolBase0 } from './c-number.js';
import { intArg } from './int-arg.js';
import type { OptionGroup } from './option-command.js';
import { applyUrl, checkPort } from './url.js';

const NEVER_EXPIRES = 0xffffffff;

/** -x: like strtol(…, 0) with the whole argument a number; -1, 4294967295 and ∞ mean never. */
function parseSessionExpiry(text: string): number {
  if (text === '∞') return NEVER_EXPIRES;
  const { value, rest } = strtolBase0(text);
  if (rest === text || rest !== '') throw new UsageError('session-expiry-interval not a number.');
  if (value > 0xffffffffn || value < -1n) throw new UsageError('session-expiry-interval out of range.');
  return value === -1n ? NEVER_EXPIRES : Number(value);
}

const PROTOCOL_VERSIONS: Record<string, 3 | 4 | 5> = { mqttv31: 3, '31': 3, mqttv311: 4, '311': 4, mqttv5: 5, '5': 5 };

/** Where and how to connect: shared by pub and sub (mosquitto's client_shared.c). */
export const connectionGroup: OptionGroup = {
  heading: 'Connection:',
  specs: [
    {
      flags: '-h, --host <host>',
      description: 'broker host to connect to (default: localhost)',
      missing: '-h argument given but no host specified.',
      apply: (s, v) => void (s.conn.host = v!),
    },
    {
      flags: '-p, --port <port>',
      description: 'network port (default: 1883, or 8883 with --cafile/--capath/--psk; 8883 alone turns on TLS with the OS certificates)',
      missing: '-p argument given but no port specified.',
      apply: (s, v) => void (s.conn.port = checkPort(v!)),
    },
    {
      flags: '--unix <path>',
      description: 'connect through a unix domain socket instead of TCP, e.g. /tmp/mosquitto.sock',
      missing: '--unix argument given but no socket path specified.',
      apply: (s, v) => {
        s.conn.host = v!;
        s.conn.port = 0;
      },
    },
    {
      flags: '-L, --url <url>',
      description:
        'user, password, host, port and topic as one URL: mqtt(s)://[username[:password]@]host[:port]/topic; [extra] also ws(s)://…/topic (ports 80/443, WebSocket path from --ws-path)',
      missing: '-L argument given but no URL specified.',
      apply: (s, v) => applyUrl(s, v!),
    },
    {
      flags: '--ws-path <path>',
      description: '[extra] HTTP path of the WebSocket endpoint for ws:// and wss:// URLs (default: /mqtt)',
      missing: '--ws-path argument given but no path specified.',
      apply: (s, v) => {
        if (!v!.startsWith('/')) throw new UsageError(`Invalid --ws-path '${v}', it must start with '/'.`);
        s.conn.wsPath = v!;
      },
    },
    {
      flags: '-u, --username <username>',
      description: 'username to authenticate with',
      missing: '-u argument given but no username specified.',
      apply: (s, v) => void (s.conn.username = v!),
    },
    {
      flags: '-P, --pw [password]',
      description:
        'password to authenticate with; [extra] without a value (or followed by an option) it is asked for on the terminal, without echo',
      apply: (s, v) => {
        s.conn.passwordPrompt = v === null;
        s.conn.password = v ?? undefined;
        s.conn.passwordFromEnv = false;
      },
    },
    {
      flags: '--auth-method <method>',
      description: '[extra] MQTT v5 enhanced authentication with -u and -P: SCRAM-SHA-256 or SCRAM-SHA-512 (mqtt broker has them; Mosquitto has none)',
      missing: '--auth-method argument given but no method specified.',
      apply: (s, v) => {
        if (scramDigest(v!) === undefined) throw new UsageError(`Unknown --auth-method '${v}' (SCRAM-SHA-256 or SCRAM-SHA-512).`);
        s.conn.authMethod = v as ScramMethod;
      },
    },
    {
      flags: '-i, --id <id>',
      description: 'client id (default: none, the broker assigns one; MQTT 3.1: mosq- and 18 random characters)',
      missing: '-i argument given but no id specified.',
      apply: (s, v) => {
        if (s.conn.idPrefix !== undefined) throw new UsageError('-i and -I argument cannot be used together.');
        s.conn.id = v!;
      },
    },
    {
      flags: '-I, --id-prefix <prefix>',
      description: 'client id made of this prefix and the process id (for brokers using clientid_prefixes)',
      missing: '-I argument given but no id prefix specified.',
      apply: (s, v) => {
        if (s.conn.id !== undefined) throw new UsageError('-i and -I argument cannot be used together.');
        s.conn.idPrefix = v!;
      },
    },
    {
      flags: '-k, --keepalive <seconds>',
      description: 'keep alive interval, 5..65535 (default: 60)',
      missing: '-k argument given but no keepalive specified.',
      apply: (s, v) => {
        s.conn.keepalive = intArg(v!, 5, 65535, () => 'Invalid keepalive given, it must be between 5 and 65535 inclusive.');
      },
    },
    {
      flags: '-c, --disable-clean-session',
      description:
        'persistent session: the broker keeps the session of this client id (-i required); with MQTT v5 it never expires unless -x is given',
      apply: (s) => void (s.conn.cleanSession = false),
    },
    {
      flags: '-x <session-expiry>',
      description:
        'MQTT v5 session-expiry-interval in seconds: 0..4294967294, or -1, 4294967295 or ∞ for never (default: never with -c, else 0); ignored with MQTT 3.x',
      missing: '-x argument given but no session expiry interval specified.',
      apply: (s, v) => void (s.conn.sessionExpiry = parseSessionExpiry(v!)),
    },
    {
      flags: '-V, --protocol-version <version>',
      description: 'MQTT protocol version: mqttv5 (5), mqttv311 (311) or mqttv31 (31) (default: mqttv311)',
      missing: '--protocol-version argument given but no version specified.',
      apply: (s, v) => {
        const version = PROTOCOL_VERSIONS[v!];
        if (version === undefined) throw new UsageError('Invalid protocol version argument given.');
        s.conn.protocolVersion = version;
      },
    },
    {
      flags: '-A <address>',
      description: 'bind the outgoing socket to this local address',
      missing: '-A argument given but no address specified.',
      apply: (s, v) => void (s.conn.bindAddress = v!),
    },
    {
      flags: '--nodelay',
      description: "disable Nagle's algorithm (TCP_NODELAY): lower latency, possibly more packets",
      apply: (s) => void (s.conn.nodelay = true),
    },
    {
      flags: '-M <max-inflight>',
      description: 'maximum number of QoS 1 and 2 messages in flight (default: 20)',
      missing: '-M argument given but max_inflight not specified.',
      apply: (s, v) => void (s.conn.maxInflight = intArg(v!, 1, Infinity, () => 'Maximum inflight messages must be greater than 0.')),
    },
    {
      flags: '-d, --debug',
      description: 'print debug messages (packets sent and received) on stdout',
      apply: (s) => void (s.conn.debug = true),
    },
    {
      flags: '--quiet',
      description: "don't print error messages (bad arguments are still reported)",
      apply: (s) => void (s.conn.quiet = true),
    },
    {
      flags: '-S',
      description: 'DNS SRV lookup of the broker: not supported (mosquitto builds without WITH_SRV refuse it too)',
      apply: () => {
        throw new UsageError('-S (DNS SRV lookup) is not supported.');
      },
    },
    {
      flags: '--proxy <socks-url>',
      description: 'SOCKS5 proxy (socks5h://…): not supported yet',
      missing: '--proxy argument given but no proxy url specified.',
      apply: () => {
        throw new UsageError('--proxy (SOCKS5 proxy) is not supported.');
      },
    },
  ],
};
