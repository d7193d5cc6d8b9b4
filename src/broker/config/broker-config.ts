import { resolve as resolvePath } from 'node:path';
import type { FileLocation } from './config-error.js';
/**
 * The broker's configuration, typed: what `mqtt broker` runs with, whether it came from a
 * mosquitto.conf (mosquitto-conf.ts), the command line (command-line.ts) or neither
 * (defaultBrokerConfig). Defaults and value ranges are Mosquitto 2.0's (src/conf.c,
 * config__init_reload and listener__set_defaults).
 */

/** Mosquitto's log_type names. */
export type LogType =
  | 'error'
  | 'warning'
  | 'notice'
  | 'information'
  | 'debug'
  | 'subscribe'
  | 'unsubscribe'
  | 'websockets'
  | 'internal';

export const ALL_LOG_TYPES: readonly LogType[] = [
  'error',
  'warning',
  'notice',
  'information',
  'debug',
  'subscribe',
  'unsubscribe',
  'websockets',
  'internal',
];

/** Without log_type lines Mosquitto logs these four; -v turns on all of them. */
export const DEFAULT_LOG_TYPES: readonly LogType[] = ['error', 'warning', 'notice', 'information'];

export interface LogDestinations {
  stderr: boolean;
  stdout: boolean;
  /** publish log lines on $SYS/broker/log/<level> (Mosquitto `log_dest topic`) */
  topic: boolean;
  /** append to this file (Mosquitto `log_dest file PATH`); reopened on SIGHUP */
  file?: string;
  /** the local syslog (Mosquitto `log_dest syslog`) */
  syslog?: boolean;
}

export interface LogConfig {
  types: LogType[];
  dest: LogDestinations;
  /** prefix lines with the time (Mosquitto log_timestamp, default true) */
  timestamp: boolean;
  /** strftime format for that time; undefined = Unix seconds, Mosquitto's default */
  timestampFormat?: string;
  /** log each connect and disconnect (Mosquitto connection_messages, default true) */
  connectionMessages: boolean;
  /** syslog facility local0..local7 (Mosquitto log_facility 0..7); undefined = daemon */
  facility?: number;
}

/**
 * Mosquitto's "security options": global, or per listener with per_listener_settings true.
 * Listeners that share the global options share this very object, so a broker can load each
 * password and ACL file once by identity.
 */
export interface SecurityOptions {
  /** the effective value: see resolveAllowAnonymous */
  allowAnonymous: boolean;
  /** what the configuration file said; undefined when it did not say */
  allowAnonymousSetting?: boolean;
  passwordFile?: string;
  aclFile?: string;
  /** identity:hexkey lines for listeners with psk_hint */
  pskFile?: string;
  /** refuse CONNECTs with an empty client id when false (default true) */
  allowZeroLengthClientId: boolean;
  /** prefix of client ids the broker assigns (default "auto-") */
  autoIdPrefix: string;
  /** `plugin .../mosquitto_dynamic_security.so`, served natively (plugin-options.ts) */
  dynsec?: DynsecPluginConfig;
}

/**
 * TLS as Mosquitto configures it; a listener has this only with both certfile and keyfile, or
 * with psk_hint (pre-shared keys; then certfile and keyfile are optional).
 */
export interface TlsConfig {
  certFile?: string;
  keyFile?: string;
  caFile?: string;
  caPath?: string;
  /** ask for and verify a client certificate against cafile/capath */
  requireCertificate: boolean;
  /** the client certificate's CN becomes the username; the CONNECT username is ignored */
  useIdentityAsUsername: boolean;
  /** lowest version accepted (Mosquitto's tls_version is a minimum); undefined = Node's default */
  minVersion?: 'TLSv1.3' | 'TLSv1.2' | 'TLSv1.1';
  /** PEM certificate revocation list checked against client certificates; reloaded on SIGHUP */
  crlFile?: string;
  /** OpenSSL cipher list for TLS 1.2 and earlier (Mosquitto `ciphers`) */
  ciphers?: string;
  /** TLS 1.3 ciphersuites (Mosquitto `ciphers_tls1.3`) */
  ciphersTls13?: string;
  /** PEM DH parameters, for DHE key exchange */
  dhParamFile?: string;
  /** turns on TLS-PSK for the listener; the keys come from the security options' psk_file */
  pskHint?: string;
}

export interface ListenerConfig {
  /** TCP port; 0 with socketPath is a unix socket, 0 without asks the kernel for a free port */
  port: number;
  /** address to bind; undefined = every interface, IPv4 and IPv6 */
  host?: string;
  socketPath?: string;
  /** only this address family when host is undefined (Mosquitto socket_domain) */
  socketDomain?: 'ipv4' | 'ipv6';
  protocol: 'mqtt' | 'websockets';
  /** -1 = unlimited */
  maxConnections: number;
  /**
   * max_qos: the highest QoS its clients may publish, subscribe and will with, and the highest
   * they are sent (Mosquitto's listener max_qos, default 2; a v5 CONNACK carries it when below 2)
   */
  maxQos: 0 | 1 | 2;
  /** max_topic_alias: topic aliases accepted from its v5 clients, 0..65535 (default 10; 0 = none) */
  maxTopicAlias: number;
  tls?: TlsConfig;
  /** the options for this listener's clients, whether per listener or global */
  security: SecurityOptions;
  /** where the listener comes from, for messages: "mosquitto.conf:12", "local-only mode", "-p" */
  origin: string;
}

export interface BrokerConfig {
  /**
   * Listeners to open. In local-only mode they come in pairs per port, 127.0.0.1 and ::1, as
   * Mosquitto 2.0 opens them: a broker should accept one of a pair failing to bind (a host
   * without IPv6) and fail only when none binds ("Error: Unable to start any listening
   * sockets, exiting."). With port 0 the second of a pair should take the port the first got.
   */
  listeners: ListenerConfig[];
  /** no listener, port or bind_address configured: loopback only (Mosquitto 2.0) */
  localOnly: boolean;
  perListenerSettings: boolean;
  /** the global options; without perListenerSettings every listener's `security` is this object */
  security: SecurityOptions;
  /** QoS 1/2 messages in flight per client; 0 = no limit (default 20) */
  maxInflightMessages: number;
  /** QoS 1/2 messages queued per client; 0 = no limit (default 1000) */
  maxQueuedMessages: number;
  /** queue_qos0_messages: QoS 0 messages are queued for offline persistent sessions too (default false) */
  queueQos0Messages: boolean;
  /** QoS 1/2 payload bytes in flight per client; 0 = no limit (default) */
  maxInflightBytes: number;
  /** QoS 1/2 payload bytes queued per client; 0 = no limit (default) */
  maxQueuedBytes: number;
  /** memory_limit: bytes the broker may hold before refusing new PUBLISHes; 0 = no limit */
  memoryLimit: number;
  /** largest packet accepted in bytes; 0 = no limit beyond the protocol's */
  maxPacketSize: number;
  /** largest PUBLISH payload accepted in bytes; 0 = no limit */
  messageSizeLimit: number;
  /** highest keepalive granted to clients, 10..65535 (default 65535) */
  maxKeepalive: number;
  retainAvailable: boolean;
  /** upgrade_outgoing_qos: deliver at the subscription's QoS, not the lower of it and the message's (default false) */
  upgradeOutgoingQos: boolean;
  /**
   * set_tcp_nodelay: TCP_NODELAY on the listeners' accepted sockets. Default true here, a
   * deliberate difference: Mosquitto's default is false (Nagle on)
   */
  setTcpNodelay: boolean;
  /**
   * check_retain_source (default true, as mosquitto.conf(5) documents it; Mosquitto 2.0's own
   * code starts it false, never setting it): a retained message reaches a new subscriber only if
   * its publisher may still write its topic. Global, read at start only (Mosquitto's reload
   * does not copy it either).
   */
  checkRetainSource: boolean;
  /** seconds between $SYS updates; 0 disables them (default 10) */
  sysInterval: number;
  /** seconds after which a disconnected persistent session is removed; 0 = never */
  persistentClientExpiration: number;
  /** `persistence true` / --persist: the broker keeps its state in the store file (see persistenceFile) */
  persistence: boolean;
  /** persistence_location: the store's directory (Mosquitto: relative to the working directory) */
  persistenceLocation?: string;
  /** persistence_file: the store's file name in persistenceLocation (default DEFAULT_PERSISTENCE_FILE) */
  persistenceFile?: string;
  /**
   * [extra] persistence_mode: durable (default) syncs each group commit before it is relied on;
   * autosave syncs every autosaveInterval seconds (or changes), as cheap as Mosquitto's file
   */
  persistenceMode: 'durable' | 'autosave';
  /** autosave_interval: seconds (or changes, with autosave_on_changes) between syncs in autosave mode; 0 = only at stop */
  autosaveInterval: number;
  autosaveOnChanges: boolean;
  /**
   * user to switch to when started as root (Mosquitto `user`); Mosquitto switches to
   * "mosquitto" when this is not set, and ignores it when not started as root
   */
  user?: string;
  log: LogConfig;
  /** `connection` sections: bridges to other brokers */
  bridges: import('./bridge-config.js').BridgeConfig[];
  /** -v: every log type, whatever log_type says */
  verbose: boolean;
}

export const DEFAULT_PORT = 1883;
/** Mosquitto's listener default for max_topic_alias */
export const DEFAULT_MAX_TOPIC_ALIAS = 10;
/**
 * Not Mosquitto's mosquitto.db: a Debian host that ran Mosquitto has that file in
 * /var/lib/mosquitto/, in a format this broker does not read.
 */
export const DEFAULT_PERSISTENCE_FILE = 'mqtt-broker.lmdb';

/** The store file a configuration names. */
export function persistencePath(config: Pick<BrokerConfig, 'persistenceLocation' | 'persistenceFile'>): string {
  return resolvePath(config.persistenceLocation ?? '', config.persistenceFile ?? DEFAULT_PERSISTENCE_FILE);
}
export const LOCAL_ONLY_HOSTS: readonly string[] = ['127.0.0.1', '::1'];

export function defaultSecurityOptions(): SecurityOptions {
  return { allowAnonymous: false, allowZeroLengthClientId: true, autoIdPrefix: 'auto-' };
}

export function defaultListener(port: number, security: SecurityOptions, origin: string): ListenerConfig {
  return { port, protocol: 'mqtt', maxConnections: -1, maxQos: 2, maxTopicAlias: DEFAULT_MAX_TOPIC_ALIAS, security, origin };
}

/**
 * Local-only mode's listeners: 127.0.0.1 and ::1 on each port (or the one address asked for with
 * --bind), with the global security options.
 */
export function localOnlyListeners(ports: readonly number[], hosts: readonly string[], security: SecurityOptions): ListenerConfig[] {
  return ports.flatMap((port) => hosts.map((host) => ({ ...defaultListener(port, security, 'local-only mode'), host })));
}

/**
 * Mosquitto 2.0: anonymous clients are allowed in local-only mode and refused on configured
 * listeners unless allow_anonymous says otherwise. Unlike Mosquitto 2.0.11, an explicit
 * `allow_anonymous false` holds in local-only mode too (Mosquitto ignored it there, which its
 * issue 3198 calls a bug).
 */
export function resolveAllowAnonymous(security: SecurityOptions, localOnly: boolean): void {
  security.allowAnonymous = security.allowAnonymousSetting ?? localOnly;
}

/** What `mqtt broker` runs with when given no configuration file: Mosquitto 2.0's local-only mode. */
export function defaultBrokerConfig(): BrokerConfig {
  const security = defaultSecurityOptions();
  resolveAllowAnonymous(security, true);
  return {
    listeners: localOnlyListeners([DEFAULT_PORT], LOCAL_ONLY_HOSTS, security),
    localOnly: true,
    perListenerSettings: false,
    security,
    maxInflightMessages: 20,
    maxQueuedMessages: 1000,
    queueQos0Messages: false,
    maxInflightBytes: 0,
    maxQueuedBytes: 0,
    memoryLimit: 0,
    maxPacketSize: 0,
    messageSizeLimit: 0,
    maxKeepalive: 65535,
    retainAvailable: true,
    upgradeOutgoingQos: false,
    setTcpNodelay: true,
    checkRetainSource: true,
    sysInterval: 10,
    persistentClientExpiration: 0,
    persistence: false,
    persistenceMode: 'durable',
    autosaveInterval: 1800,
    autosaveOnChanges: false,
    log: {
      types: [...DEFAULT_LOG_TYPES],
      dest: { stderr: true, stdout: false, topic: false },
      timestamp: true,
      connectionMessages: true,
    },
    bridges: [],
    verbose: false,
  };
}

export interface DynsecPluginConfig {
  /** plugin_opt_config_file: the JSON file, relative to the working directory as in Mosquitto */
  configFile?: string;
  /** "mosquitto.conf:12", for messages */
  origin: string;
  loc: FileLocation;
}
