/**
 * The options of a `connection` section (Mosquitto 2.0's src/conf.c bridge branch and
 * mosquitto.conf(5) "Configuring Bridges"). Every option is either implemented or a start-up
 * error that says what is missing: a bridge that silently ignored `bridge_require_ocsp` would
 * not do what the file says.
 */
import { hostname } from 'node:os';
import { BridgeTopicError, parseBridgeTopic, sameBridgeTopic } from '../bridge/topic-map.js';
import { addressText, type BridgeAddress, type BridgeConfig, type BridgeTls } from './bridge-config.js';
import { describeLocation } from './config-error.js';
import type { ConfigLine } from './config-lines.js';
import { boolValue, fail, intValue, stringValue, type Warn } from './config-values.js';

/** A section being read: the options seen so far. */
export interface BridgeDraft {
  config: Omit<BridgeConfig, 'remoteClientId' | 'localClientId' | 'notificationTopic' | 'localCleanSession'> & {
    remoteClientId?: string;
    localClientId?: string;
    notificationTopic?: string;
    localCleanSession?: boolean;
  };
  line: ConfigLine;
  tls: Partial<BridgeTls> & { requireOcsp?: ConfigLine; lines: ConfigLine[] };
  /** lines of options only start_type lazy uses */
  lazyOnly: ConfigLine[];
}

export function newBridgeDraft(name: string, line: ConfigLine): BridgeDraft {
  return {
    line,
    tls: { lines: [] },
    lazyOnly: [],
    config: {
      name,
      origin: describeLocation(line.loc),
      addresses: [],
      roundRobin: false,
      topics: [],
      cleanSession: false,
      protocolVersion: 4,
      tryPrivate: true,
      attemptUnsubscribe: true,
      outgoingRetain: true,
      maxPacketSize: 0,
      keepalive: 60,
      startType: 'automatic',
      // Mosquitto 2.0's default: backoff from 5 s up to 30 s
      restartTimeout: 5,
      backoffCap: 30,
      threshold: 10,
      idleTimeout: 60,
      notifications: true,
      notificationsLocalOnly: false,
    },
  };
}

const PROTOCOLS: Record<string, 3 | 4 | 5> = { mqttv31: 3, mqttv311: 4, mqttv50: 5 };
const TLS_VERSIONS = new Set(['tlsv1.1', 'tlsv1.2', 'tlsv1.3']);

function address(line: ConfigLine, word: string): BridgeAddress {
  const ws = /^(wss?):\/\//i.exec(word);
  if (ws) return webSocketAddress(line, word, ws[1]!.toLowerCase() === 'wss');
  // "host", "host:port", "[v6]:port" or a bare IPv6 address whose last group reads as a port
  // (Mosquitto: "If you use an IPv6 address, then the port is not optional")
  const bracket = /^\[([^\]]+)\](?::([0-9]+))?$/.exec(word);
  let host = word;
  let portText: string | undefined;
  if (bracket) {
    host = bracket[1]!;
    portText = bracket[2];
  } else {
    const colon = word.lastIndexOf(':');
    if (colon >= 0) {
      host = word.slice(0, colon);
      portText = word.slice(colon + 1);
    }
  }
  let port = 1883;
  if (portText !== undefined) {
    port = /^[0-9]{1,5}$/.test(portText) ? Number(portText) : NaN;
    if (!(port >= 1 && port <= 65535)) fail(line, `Invalid bridge port value (${portText}).`);
  }
  if (host === '') fail(line, 'Empty address value in configuration.');
  return { host, port };
}

/**
 * [extra] `ws://host[:port][/path]` or `wss://…`: the remote over WebSocket (Mosquitto's bridges
 * have none), for a remote reachable only through an HTTP(S) endpoint. Ports 80/443 by default,
 * path /mqtt when none is given; the user name belongs in remote_username, not in the URL.
 */
function webSocketAddress(line: ConfigLine, word: string, secure: boolean): BridgeAddress {
  let url: URL;
  try {
    url = new URL(word);
  } catch {
    fail(line, `Invalid bridge address (${word}).`);
  }
  if (url.username || url.password) fail(line, `Bridge address ${word}: give the user with remote_username and remote_password, not in the URL.`);
  if (url.search || url.hash) fail(line, `Bridge address ${word}: a query or fragment is not supported.`);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (host === '') fail(line, `Bridge address ${word} has no host.`);
  const hasPath = word.slice(word.indexOf('//') + 2).includes('/');
  return { host, port: url.port ? Number(url.port) : secure ? 443 : 80, webSocket: { secure, path: hasPath ? url.pathname : '/mqtt' } };
}

type BridgeHandler = (draft: BridgeDraft, line: ConfigLine, warn: Warn) => void;

const unsupported = (why: string): BridgeHandler => (_d, line) => fail(line, `Unsupported bridge option "${line.keyword}": ${why}.`);

/** Each keyword a `connection` section may hold, as Mosquitto 2.0 reads it. */
const HANDLERS: Record<string, BridgeHandler> = {
  address: (d, line) => {
    if (d.config.addresses.length > 0) fail(line, 'Duplicate address/addresses value in bridge configuration.');
    if (line.args.length === 0) fail(line, 'Empty address value in configuration.');
    // a comment may follow the addresses
    const words = line.args.slice(0, (line.args.findIndex((w) => w.startsWith('#')) + 1 || line.args.length + 1) - 1);
    d.config.addresses = words.map((w) => address(line, w));
  },
  round_robin: (d, line, warn) => {
    d.config.roundRobin = boolValue(line, warn);
  },
  topic: (d, line, warn) => {
    let topic;
    try {
      topic = parseBridgeTopic(line.args);
    } catch (err) {
      if (err instanceof BridgeTopicError) fail(line, err.message);
      throw err;
    }
    if (d.config.topics.some((t) => sameBridgeTopic(t, topic))) {
      warn(`Duplicate bridge topic '${topic.pattern ?? '""'}' at ${describeLocation(line.loc)}, skipping.`);
      return;
    }
    d.config.topics.push(topic);
  },
  remote_clientid: (d, line) => {
    d.config.remoteClientId = stringValue(line, d.config.remoteClientId, 'bridge remote_clientid');
  },
  remote_username: (d, line) => {
    d.config.remoteUsername = stringValue(line, d.config.remoteUsername, 'bridge remote_username');
  },
  remote_password: (d, line) => {
    d.config.remotePassword = stringValue(line, d.config.remotePassword, 'bridge remote_password');
  },
  local_clientid: (d, line) => {
    d.config.localClientId = stringValue(line, d.config.localClientId, 'bridge local_clientid');
  },
  local_username: (d, line) => {
    d.config.localUsername = stringValue(line, d.config.localUsername, 'bridge local_username');
  },
  local_password: (d, line) => {
    d.config.localPassword = stringValue(line, d.config.localPassword, 'bridge local_password');
  },
  cleansession: (d, line, warn) => {
    d.config.cleanSession = boolValue(line, warn);
  },
  local_cleansession: (d, line, warn) => {
    d.config.localCleanSession = boolValue(line, warn);
  },
  bridge_protocol_version: (d, line) => {
    const value = line.args[0];
    if (value === undefined) fail(line, 'Empty bridge_protocol_version value in configuration.');
    const v = PROTOCOLS[value];
    if (v === undefined) fail(line, `Invalid bridge_protocol_version value (${value}).`);
    d.config.protocolVersion = v;
  },
  try_private: (d, line, warn) => {
    d.config.tryPrivate = boolValue(line, warn);
  },
  bridge_attempt_unsubscribe: (d, line, warn) => {
    d.config.attemptUnsubscribe = boolValue(line, warn);
  },
  bridge_outgoing_retain: (d, line, warn) => {
    d.config.outgoingRetain = boolValue(line, warn);
  },
  bridge_max_packet_size: (d, line, warn) => {
    const n = intValue(line, warn);
    if (n < 0) fail(line, `Invalid bridge_max_packet_size value (${n}).`);
    d.config.maxPacketSize = n;
  },
  keepalive_interval: (d, line, warn) => {
    const n = intValue(line, warn);
    // Mosquitto: "A minimum value of 5 seconds is allowed"
    if (n < 5) fail(line, `Invalid keepalive_interval value (${n}): the minimum is 5 seconds.`);
    if (n > 65535) fail(line, `Invalid keepalive_interval value (${n}).`);
    d.config.keepalive = n;
  },
  start_type: (d, line) => {
    const value = line.args[0];
    if (value === undefined) fail(line, 'Empty start_type value in configuration.');
    if (value === 'automatic' || value === 'once' || value === 'lazy') d.config.startType = value;
    else if (value === 'manual') fail(line, 'Manual start_type not supported.');
    else fail(line, `Invalid start_type value in configuration (${value}).`);
  },
  restart_timeout: (d, line, warn) => {
    const [first, second, ...extra] = line.args;
    if (first === undefined) fail(line, 'Empty restart_timeout value in configuration.');
    const seconds = (text: string) => {
      if (!/^[0-9]{1,9}$/.test(text)) fail(line, `Invalid restart_timeout value (${text}).`);
      return Number(text);
    };
    let base = seconds(first);
    if (base < 1) {
      warn(`restart_timeout interval too low at ${describeLocation(line.loc)}, using 1 second.`);
      base = 1;
    }
    d.config.restartTimeout = base;
    d.config.backoffCap = 0;
    if (second !== undefined && !second.startsWith('#')) {
      const cap = seconds(second);
      if (cap < base) fail(line, 'backoff cap is lower than the base in restart_timeout.');
      d.config.backoffCap = cap;
      if (extra.length > 0 && !extra[0]!.startsWith('#')) fail(line, `Unsupported restart_timeout value "${extra.join(' ')}": only a base and a cap are read.`);
    }
  },
  idle_timeout: (d, line, warn) => {
    let n = intValue(line, warn);
    if (n < 1) {
      warn(`idle_timeout interval too low at ${describeLocation(line.loc)}, using 1 second.`);
      n = 1;
    }
    d.config.idleTimeout = n;
    d.lazyOnly.push(line);
  },
  threshold: (d, line, warn) => {
    let n = intValue(line, warn);
    if (n < 1) {
      warn(`threshold too low at ${describeLocation(line.loc)}, using 1 message.`);
      n = 1;
    }
    d.config.threshold = n;
    d.lazyOnly.push(line);
  },
  notifications: (d, line, warn) => {
    d.config.notifications = boolValue(line, warn);
  },
  notifications_local_only: (d, line, warn) => {
    d.config.notificationsLocalOnly = boolValue(line, warn);
  },
  notification_topic: (d, line) => {
    d.config.notificationTopic = stringValue(line, d.config.notificationTopic, 'bridge notification_topic');
  },
  bridge_bind_address: (d, line) => {
    d.config.bindAddress = stringValue(line, d.config.bindAddress, 'bridge_bind_address');
  },
  bridge_cafile: (d, line) => tlsString(d, line, 'caFile'),
  bridge_capath: (d, line) => tlsString(d, line, 'caPath'),
  bridge_certfile: (d, line) => tlsString(d, line, 'certFile'),
  bridge_keyfile: (d, line) => tlsString(d, line, 'keyFile'),
  bridge_alpn: (d, line) => tlsString(d, line, 'alpn'),
  bridge_insecure: (d, line, warn) => {
    d.tls.insecure = boolValue(line, warn);
    d.tls.lines.push(line);
  },
  bridge_tls_version: (d, line) => {
    const value = line.args[0];
    if (value === undefined) fail(line, 'Empty bridge_tls_version value in configuration.');
    if (!TLS_VERSIONS.has(value)) fail(line, `Unsupported bridge_tls_version "${value}".`);
    d.tls.version = value as BridgeTls['version'];
    d.tls.lines.push(line);
  },
  bridge_identity: (d, line) => {
    d.tls.psk = { identity: stringValue(line, d.tls.psk?.identity || undefined, 'bridge_identity'), keyHex: d.tls.psk?.keyHex ?? '' };
    d.tls.lines.push(line);
  },
  bridge_psk: (d, line) => {
    const key = stringValue(line, d.tls.psk?.keyHex || undefined, 'bridge_psk');
    if (!/^[0-9a-fA-F]+$/.test(key)) fail(line, 'Invalid bridge_psk value: hexadecimal digits expected.');
    d.tls.psk = { identity: d.tls.psk?.identity ?? '', keyHex: key };
    d.tls.lines.push(line);
  },
  bridge_require_ocsp: (d, line, warn) => {
    if (boolValue(line, warn)) d.tls.requireOcsp = line;
  },
  bridge_ciphers: unsupported('cipher lists are not configurable for bridges'),
  'bridge_ciphers_tls1.3': unsupported('cipher lists are not configurable for bridges'),
  bridge_keyform: unsupported('bridge keys are read as PEM'),
  bridge_tls_use_os_certs: unsupported('the operating system certificates are not used by bridges'),
};

/** The options a section implements, by their current names (for the manual's check). */
export const BRIDGE_KEYWORDS: readonly string[] = Object.keys(HANDLERS).filter((k) => !/ciphers|keyform|use_os_certs/.test(k));

// Mosquitto's older names, still read by 2.0
HANDLERS.addresses = HANDLERS.address!;
HANDLERS.clientid = HANDLERS.remote_clientid!;
HANDLERS.username = HANDLERS.remote_username!;
HANDLERS.password = HANDLERS.remote_password!;

function tlsString(d: BridgeDraft, line: ConfigLine, key: 'caFile' | 'caPath' | 'certFile' | 'keyFile' | 'alpn'): void {
  d.tls[key] = stringValue(line, d.tls[key], line.keyword);
  d.tls.lines.push(line);
}

/** Whether `keyword` is an option of a `connection` section. */
export function isBridgeKeyword(keyword: string): boolean {
  return Object.hasOwn(HANDLERS, keyword) || keyword.startsWith('bridge_');
}

export function bridgeOption(draft: BridgeDraft, line: ConfigLine, warn: Warn): void {
  const handler = Object.hasOwn(HANDLERS, line.keyword) ? HANDLERS[line.keyword] : undefined;
  if (!handler) fail(line, `Unknown configuration variable "${line.keyword}".`);
  handler(draft, line, warn);
}

/**
 * The bridges once the whole file is read: Mosquitto's config__check defaults (remote client id
 * "<hostname>.<name>", local "local.<remote>") and the checks that need the whole section.
 */
export function finishBridges(drafts: readonly BridgeDraft[], host = hostname()): BridgeConfig[] {
  const bridges = drafts.map((d) => finishBridge(d, host));
  const seen = new Map<string, BridgeDraft>();
  drafts.forEach((d, i) => {
    const id = bridges[i]!.localClientId;
    if (seen.has(id)) {
      fail(d.line, `Bridge local_clientid '${id}' is not unique. Try changing or setting the local_clientid value for one of the bridges.`);
    }
    seen.set(id, d);
  });
  return bridges;
}

function finishBridge(d: BridgeDraft, host: string): BridgeConfig {
  const c = d.config;
  if (c.addresses.length === 0) fail(d.line, `Bridge "${c.name}" has no address.`);
  if (c.topics.length === 0) fail(d.line, `Bridge "${c.name}" has no topic lines.`);
  if (c.remotePassword !== undefined && c.remoteUsername === undefined) {
    fail(d.line, `Bridge "${c.name}": remote_password needs remote_username.`);
  }
  if (d.lazyOnly.length > 0 && c.startType !== 'lazy') {
    // Mosquitto reads and ignores them: here an option that would do nothing is an error
    const line = d.lazyOnly[0]!;
    fail(line, `Bridge option "${line.keyword}" only applies to start_type lazy (this bridge is ${c.startType}).`);
  }
  if (c.startType === 'lazy' && (c.localCleanSession ?? c.cleanSession)) {
    // Mosquitto queues nothing for such a bridge while it is down (db__message_insert), so its
    // threshold is never reached and it would never start again
    fail(d.line, `Bridge "${c.name}": start_type lazy needs local_cleansession false (with true nothing is queued while the bridge is down, so threshold is never reached).`);
  }
  if (d.tls.requireOcsp) fail(d.tls.requireOcsp, 'Unsupported bridge option "bridge_require_ocsp true": OCSP is not checked, so the bridge could not refuse a revoked certificate.');
  const remoteClientId = c.remoteClientId ?? `${host}.${c.name}`;
  let tls: BridgeTls | undefined;
  const t = d.tls;
  if (t.psk) {
    if (!t.psk.identity || !t.psk.keyHex) fail(t.lines[0]!, `Bridge "${c.name}": bridge_identity and bridge_psk go together.`);
    if (t.caFile || t.caPath || t.certFile || t.keyFile) fail(t.lines[0]!, `Bridge "${c.name}": certificate-based TLS and PSK cannot be used on one bridge.`);
  }
  const clearWebSocket = c.addresses.find((a) => a.webSocket && !a.webSocket.secure);
  if (clearWebSocket && t.lines.length > 0) {
    // TLS asked for, and an address that would go in the clear: refused rather than half-applied
    fail(t.lines[0]!, `Bridge "${c.name}": TLS options with the plain WebSocket address ${addressText(clearWebSocket)}; use wss://.`);
  }
  if (t.psk && c.addresses.some((a) => a.webSocket)) fail(t.lines[0]!, `Bridge "${c.name}": TLS-PSK is not available over WebSocket (wss:// uses certificates).`);
  if (t.caFile || t.caPath || t.psk) {
    if ((t.certFile === undefined) !== (t.keyFile === undefined)) fail(t.lines[0]!, `Bridge "${c.name}": bridge_certfile and bridge_keyfile go together.`);
    tls = { caFile: t.caFile, caPath: t.caPath, certFile: t.certFile, keyFile: t.keyFile, insecure: t.insecure ?? false, version: t.version, alpn: t.alpn, psk: t.psk };
  } else if (t.lines.length > 0) {
    // Mosquitto turns TLS on for a bridge only with a CA; anything else would send in the clear
    fail(t.lines[0]!, `Bridge "${c.name}": TLS options need bridge_cafile or bridge_capath (or bridge_identity and bridge_psk).`);
  }
  return {
    ...c,
    remoteClientId,
    localClientId: c.localClientId ?? `local.${remoteClientId}`,
    localCleanSession: c.localCleanSession ?? c.cleanSession,
    notificationTopic: c.notificationTopic ?? `$SYS/broker/connection/${remoteClientId}/state`,
    tls,
  };
}
