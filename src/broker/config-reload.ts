import { defaultSecurityOptions, type BrokerConfig, type ListenerConfig, type SecurityOptions } from './config/broker-config.js';

/**
 * SIGHUP with `-c FILE`: the file is read again (Mosquitto's config__read(reload=true)) and what
 * Mosquitto takes over from it is applied to the running configuration, in place: the objects
 * stay the same, so the listeners, the TLS states (psk_file) and the connected clients that hold
 * them see the new values, and createSecurity finds the previous load of each by identity.
 */

/** What a reload applied, for the log. */
export interface ReloadOutcome {
  /** one line each: options whose change waits for a restart (Mosquitto says nothing there) */
  warnings: string[];
  /**
   * Set when the security of the file cannot be mapped onto the running listeners (a changed
   * per_listener_settings): every client is then refused until a restart or a reload that
   * matches again — fail closed, where keeping the old settings could be more open than the file.
   */
  blocked?: string;
}

/** A listener's identity across reloads, as Mosquitto matches them: port and bind address, or the socket path. */
function listenerKey(l: ListenerConfig): string {
  return l.socketPath !== undefined ? `unix:${l.socketPath}` : `${l.host ?? '*'}:${l.port}`;
}

/** The listeners the broker runs, by listenerKey. */
function runningListeners(current: BrokerConfig): Map<string, ListenerConfig> {
  return new Map(current.listeners.map((l) => [listenerKey(l), l]));
}

function describeListener(l: ListenerConfig): string {
  return l.socketPath !== undefined ? `listener ${l.socketPath}` : `listener ${l.port}${l.host !== undefined ? ` ${l.host}` : ''}`;
}

/** The fields of the security options Mosquitto's reload copies (config__copy, and per listener in place). */
function copySecurity(target: SecurityOptions, from: SecurityOptions): void {
  target.allowAnonymous = from.allowAnonymous;
  target.allowAnonymousSetting = from.allowAnonymousSetting;
  target.passwordFile = from.passwordFile;
  target.aclFile = from.aclFile;
  target.pskFile = from.pskFile;
  target.allowZeroLengthClientId = from.allowZeroLengthClientId;
  target.autoIdPrefix = from.autoIdPrefix;
  // plugins are not reloaded (Mosquitto: "Auth plugin not currently valid for reloading")
}

/** The security options the clients of a listener are checked with, as the file now says. */
function effectiveSecurity(config: BrokerConfig, l: ListenerConfig): SecurityOptions {
  return config.perListenerSettings ? l.security : config.security;
}

/**
 * Applies the security options of `next` (the file as read now) to `current` (what the broker
 * runs with). A listener of the file the broker does not run, or one it runs that the file no
 * longer has, waits for a restart (a warning).
 */
export function applySecurity(current: BrokerConfig, next: BrokerConfig, out: ReloadOutcome, running = runningListeners(current)): void {
  if (current.perListenerSettings !== next.perListenerSettings) {
    out.warnings.push(restartWarning('per_listener_settings'));
    out.blocked = 'per_listener_settings changed: every client is refused until the broker restarts with it (or the file says the former value again)';
    return;
  }
  copySecurity(current.security, next.security);
  const named = new Set<string>();
  for (const l of next.listeners) {
    const key = listenerKey(l);
    named.add(key);
    const mine = running.get(key);
    if (!mine) {
      out.warnings.push(`Warning: ${describeListener(l)} is not running: it starts at restart.`);
      continue;
    }
    if (current.perListenerSettings) copySecurity(mine.security, effectiveSecurity(next, l));
  }
  for (const [key, l] of running) {
    if (named.has(key)) continue;
    out.warnings.push(`Warning: ${describeListener(l)} is no longer in the configuration: it stops at restart.`);
    // per listener, nothing in the file applies to it any more: Mosquitto's reload resets its
    // options (config__init_reload), so without a password file or allow_anonymous it refuses
    // every client until the restart that stops it; globally it shares the file's options
    if (current.perListenerSettings) copySecurity(l.security, defaultSecurityOptions());
  }
}

/**
 * Options the running broker takes over (mosquitto.conf(5): "Reloaded on reload signal"); the
 * broker applies them from `current` (Broker.applyLimits, the $SYS interval).
 */
const RELOADED = [
  'maxInflightMessages',
  'maxQueuedMessages',
  'queueQos0Messages',
  'maxKeepalive',
  'maxPacketSize',
  'messageSizeLimit',
  'retainAvailable',
  'upgradeOutgoingQos',
  'persistentClientExpiration',
  'sysInterval',
] as const satisfies readonly (keyof BrokerConfig)[];

/**
 * Options that wait for a restart, by their mosquitto.conf name: Mosquitto does not reload
 * listeners, persistence, bridges or user, and the broker's log destinations, memory_limit,
 * set_tcp_nodelay and check_retain_source are fixed at start here.
 */
const AT_RESTART: ReadonlyArray<[string, (c: BrokerConfig) => unknown]> = [
  ['persistence', (c) => c.persistence],
  ['persistence_location', (c) => c.persistenceLocation],
  ['persistence_file', (c) => c.persistenceFile],
  ['persistence_mode', (c) => c.persistenceMode],
  ['autosave_interval', (c) => c.autosaveInterval],
  ['autosave_on_changes', (c) => c.autosaveOnChanges],
  ['user', (c) => c.user],
  ['memory_limit', (c) => c.memoryLimit],
  ['set_tcp_nodelay', (c) => c.setTcpNodelay],
  ['check_retain_source', (c) => c.checkRetainSource],
  ['log_dest', (c) => c.log.dest],
  ['log_facility', (c) => c.log.facility],
  // where a section starts is no change: a line added above it moves it
  ['connection (bridges)', (c) => c.bridges.map((b) => ({ ...b, origin: undefined }))],
  ['plugin', (c) => [...new Set([c.security, ...c.listeners.map((l) => l.security)].filter((s) => s.dynsec).map((s) => s.dynsec!.configFile ?? ''))].sort()],
];

/** A listener's options that wait for a restart (Mosquitto: "Not reloaded on reload signal"), by name. */
const LISTENER_AT_RESTART: ReadonlyArray<[string, (l: ListenerConfig) => unknown]> = [
  ['protocol', (l) => l.protocol],
  ['max_connections', (l) => l.maxConnections],
  ['max_qos', (l) => l.maxQos],
  ['max_topic_alias', (l) => l.maxTopicAlias],
  ['socket_domain', (l) => l.socketDomain],
  ['certfile', (l) => l.tls?.certFile],
  ['keyfile', (l) => l.tls?.keyFile],
  ['cafile', (l) => l.tls?.caFile],
  ['capath', (l) => l.tls?.caPath],
  ['require_certificate', (l) => l.tls?.requireCertificate],
  ['use_identity_as_username', (l) => l.tls?.useIdentityAsUsername],
  ['tls_version', (l) => l.tls?.minVersion],
  ['crlfile', (l) => l.tls?.crlFile],
  ['ciphers', (l) => l.tls?.ciphers],
  ['ciphers_tls1.3', (l) => l.tls?.ciphersTls13],
  ['dhparamfile', (l) => l.tls?.dhParamFile],
  ['psk_hint', (l) => l.tls?.pskHint],
];

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

/** The reloadable limits taken over; restart-only options that changed named in warnings. */
function applyRuntime(current: BrokerConfig, next: BrokerConfig, out: ReloadOutcome, running: Map<string, ListenerConfig>): void {
  const mutable = current as unknown as Record<string, unknown>;
  for (const key of RELOADED) mutable[key] = next[key];
  // what the log writes, not where (BrokerLog.configure)
  current.log.types = next.log.types;
  current.log.timestamp = next.log.timestamp;
  current.log.timestampFormat = next.log.timestampFormat;
  current.log.connectionMessages = next.log.connectionMessages;
  // whether payload bytes are counted at all is fixed at start (every queued message counts or none)
  const counts = (c: BrokerConfig) => c.maxInflightBytes > 0 || c.maxQueuedBytes > 0;
  if (counts(current) === counts(next)) {
    current.maxInflightBytes = next.maxInflightBytes;
    current.maxQueuedBytes = next.maxQueuedBytes;
  } else {
    if (current.maxInflightBytes !== next.maxInflightBytes) out.warnings.push(restartWarning('max_inflight_bytes'));
    if (current.maxQueuedBytes !== next.maxQueuedBytes) out.warnings.push(restartWarning('max_queued_bytes'));
  }
  for (const [name, get] of AT_RESTART) if (!same(get(current), get(next))) out.warnings.push(restartWarning(name));
  for (const l of next.listeners) {
    const mine = running.get(listenerKey(l));
    if (!mine) continue;
    for (const [name, get] of LISTENER_AT_RESTART) if (!same(get(mine), get(l))) out.warnings.push(restartWarning(`${name} of ${describeListener(l)}`));
  }
}

function restartWarning(what: string): string {
  return `Warning: ${what} changed: it takes effect at restart.`;
}

/** Applies the configuration as read again to `current`: security (applySecurity) and the reloadable limits. */
export function applyReloadedConfig(current: BrokerConfig, next: BrokerConfig): ReloadOutcome {
  const out: ReloadOutcome = { warnings: [] };
  const running = runningListeners(current);
  applySecurity(current, next, out, running);
  applyRuntime(current, next, out, running);
  return out;
}
