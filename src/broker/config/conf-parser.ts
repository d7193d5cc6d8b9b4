import {
  ALL_LOG_TYPES,
  DEFAULT_PORT,
  LOCAL_ONLY_HOSTS,
  defaultBrokerConfig,
  defaultSecurityOptions,
  localOnlyListeners,
  resolveAllowAnonymous,
  type BrokerConfig,
  type ListenerConfig,
  type LogDestinations,
  type LogType,
  type SecurityOptions,
} from './broker-config.js';
import { describeLocation } from './config-error.js';
import { decodeConfigText } from './config-file.js';
import { configLines, type ConfigLine } from './config-lines.js';
import { boolValue, fail, intValue, stringValue, wordValue } from './config-values.js';
import type { IncludedFile } from './include-dir.js';
import { PluginLines, isPluginOption } from './plugin-options.js';
import { TLS_VERSIONS, finishTls, newDraft, type ListenerDraft } from './listener-draft.js';
import {
  IGNORED_OPTIONS,
  REFUSED_OPTIONS,
  refusedPrefix,
} from './unsupported-options.js';
import { bridgeOption, finishBridges, isBridgeKeyword, newBridgeDraft, type BridgeDraft } from './bridge-options.js';

type Handler = (line: ConfigLine, level: number) => void;

/**
 * What the broker does with an option: implements it, refuses to start with it (running without
 * it would be less secure), ignores it with a warning, takes it as a bridge option, accepts it
 * or, for a name Mosquitto does not know either, stops with exit 3.
 */
export type OptionKind = 'supported' | 'refused' | 'ignored' | 'bridge' | 'unknown';

let supportedNames: ReadonlySet<string> | undefined;

export function optionKind(keyword: string): OptionKind {
  supportedNames ??= new Set(Object.keys(new ConfParser(() => []).handlerTable));
  if (supportedNames.has(keyword) || isPluginOption(keyword)) return 'supported';
  if (REFUSED_OPTIONS.has(keyword) || refusedPrefix(keyword)) return 'refused';
  if (IGNORED_OPTIONS.has(keyword)) return 'ignored';
  if (isBridgeKeyword(keyword)) return 'bridge';
  return 'unknown';
}

const MAX_PAYLOAD = 268435455;
const EXPIRATION_UNITS: Record<string, number> = { h: 3600, d: 86400, w: 86400 * 7, m: 86400 * 30, y: 86400 * 365 };

/**
 * Reads mosquitto.conf lines into a BrokerConfig the way Mosquitto 2.0's src/conf.c does:
 * options before the first `listener` line belong to the default listener (which only exists
 * with `port` or `bind_address`), security options are global unless per_listener_settings,
 * and with no listener at all the broker runs in local-only mode.
 */
export class ConfParser {
  readonly warnings: string[] = [];
  private readonly config: BrokerConfig = defaultBrokerConfig();
  private readonly drafts: ListenerDraft[] = [];
  private readonly defaultDraft = newDraft(DEFAULT_PORT, '');
  private current = this.defaultDraft;
  /** the first port or bind_address line: the default listener is wanted */
  private defaultWanted?: ConfigLine;
  private defaultPort?: number;
  private defaultHost?: string;
  private localOnly = true;
  /** Mosquitto's cur_security_options: a security option has been seen */
  private securitySeen = false;
  private logTypes?: Set<LogType>;
  private logDest?: LogDestinations;
  /** the `connection` sections, the last one being the section now read */
  private readonly bridges: BridgeDraft[] = [];
  private readonly plugins = new PluginLines();

  constructor(private readonly readIncludeDir: (dir: string) => IncludedFile[]) {}

  readonly warn = (message: string): void => {
    this.warnings.push(message);
  };

  readFile(text: string, file: string, level: number): void {
    for (const line of configLines(text, file)) this.handle(line, level);
  }

  private handle(line: ConfigLine, level: number): void {
    const { keyword } = line;
    // own properties only: "constructor" or "toString" are not options
    if (Object.hasOwn(this.handlers, keyword)) return this.handlers[keyword]!(line, level);
    if (isPluginOption(keyword)) return this.plugins.option(line);
    const refused = REFUSED_OPTIONS.get(keyword) ?? refusedPrefix(keyword);
    if (refused) fail(line, `Unsupported configuration variable "${keyword}": ${refused}.`);
    const where = describeLocation(line.loc);
    const ignored = IGNORED_OPTIONS.get(keyword);
    if (ignored) return this.warn(`Warning: Option "${keyword}" at ${where} is not supported: ${ignored} (ignored).`);
    if (isBridgeKeyword(keyword)) {
      const bridge = this.bridges.at(-1);
      // Mosquitto's words for a bridge option outside a bridge section
      if (bridge === undefined) fail(line, 'Invalid bridge configuration.');
      return bridgeOption(bridge, line, this.warn);
    }
    // Mosquitto exits 3 on an option it does not know: a misspelt `acl_flie` must not run a
    // broker without the ACL it was meant to name
    fail(line, `Unknown configuration variable "${keyword}".`);
  }

  /** the option names this parser implements, for optionKind */
  get handlerTable(): Readonly<Record<string, Handler>> {
    return this.handlers;
  }

  /** Where a security option goes: the current listener's with per_listener_settings, else global. */
  private security(line: ConfigLine): SecurityOptions {
    this.securitySeen = true;
    if (!this.config.perListenerSettings) return this.config.security;
    this.current.options.push(line);
    return this.current.listener.security;
  }

  /** The listener a listener option goes to; options before any `listener` go to the default one. */
  private listener(line: ConfigLine): ListenerDraft {
    this.current.options.push(line);
    return this.current;
  }

  private readonly handlers: Record<string, Handler> = {
    listener: (line) => {
      this.localOnly = false;
      const [portText, where, ...extra] = line.args;
      if (portText === undefined) fail(line, 'Empty listener value in configuration.');
      const port = /^[0-9]{1,5}$/.test(portText) ? Number(portText) : NaN;
      if (!(port >= 0 && port <= 65535)) fail(line, `Invalid port value (${portText}).`);
      // Mosquitto lets a comment follow the port
      const address = where?.startsWith('#') ? undefined : where;
      if (port === 0 && address === undefined) fail(line, 'A listener with port 0 must provide a Unix socket path.');
      if (address !== undefined && extra.length > 0 && !extra[0]!.startsWith('#')) {
        this.warn(`Warning: Extra text "${extra.join(' ')}" after the listener address at ${describeLocation(line.loc)} (ignored).`);
      }
      const draft = newDraft(port, line.loc);
      if (port === 0) draft.listener.socketPath = address;
      else if (address !== undefined) draft.listener.host = address;
      this.drafts.push(draft);
      this.current = draft;
    },
    port: (line) => {
      this.localOnly = false;
      this.warn(`Warning: The "port" option at ${describeLocation(line.loc)} is deprecated; use "listener" instead.`);
      if (this.defaultPort !== undefined) {
        this.warn(`Warning: Default listener port specified multiple times at ${describeLocation(line.loc)}. Only the latest will be used.`);
      }
      const port = intValue(line, this.warn);
      if (port < 1 || port > 65535) fail(line, `Invalid port value (${port}).`);
      this.defaultPort = port;
      this.defaultWanted ??= line;
    },
    bind_address: (line) => {
      this.localOnly = false;
      this.warn(`Warning: The "bind_address" option at ${describeLocation(line.loc)} is deprecated; use "listener" instead.`);
      this.defaultHost = stringValue(line, this.defaultHost, 'default listener bind_address');
      this.defaultWanted ??= line;
    },
    protocol: (line) => {
      this.listener(line).listener.protocol = wordValue(line, this.warn, ['mqtt', 'websockets'], (v) => `Invalid protocol value (${v}).`);
    },
    socket_domain: (line) => {
      this.listener(line).listener.socketDomain = wordValue(
        line,
        this.warn,
        ['ipv4', 'ipv6'],
        (v) => `Invalid socket_domain value "${v}" in configuration.`,
      );
    },
    max_connections: (line) => {
      const n = intValue(line, this.warn);
      this.listener(line).listener.maxConnections = n < 0 ? -1 : n;
    },
    // Mosquitto accepts both names (src/conf.c); 0..2, anything else stops it
    max_qos: (line) => this.maxQos(line),
    maximum_qos: (line) => this.maxQos(line),
    max_topic_alias: (line) => {
      const n = intValue(line, this.warn);
      if (n < 0 || n > 65535) fail(line, `Invalid max_topic_alias value (${n}): it must be between 0 and 65535.`);
      this.listener(line).listener.maxTopicAlias = n;
    },
    upgrade_outgoing_qos: (line) => {
      this.config.upgradeOutgoingQos = boolValue(line, this.warn);
    },
    set_tcp_nodelay: (line) => {
      this.config.setTcpNodelay = boolValue(line, this.warn);
    },
    cafile: (line) => this.tlsString(line, 'caFile'),
    capath: (line) => this.tlsString(line, 'caPath'),
    certfile: (line) => this.tlsString(line, 'certFile'),
    keyfile: (line) => this.tlsString(line, 'keyFile'),
    crlfile: (line) => this.tlsString(line, 'crlFile'),
    ciphers: (line) => this.tlsString(line, 'ciphers'),
    'ciphers_tls1.3': (line) => this.tlsString(line, 'ciphersTls13'),
    dhparamfile: (line) => this.tlsString(line, 'dhParamFile'),
    psk_hint: (line) => this.tlsString(line, 'pskHint'),
    psk_file: (line) => {
      const security = this.security(line);
      security.pskFile = stringValue(line, security.pskFile);
    },
    tls_version: (line) => {
      const tls = this.listener(line).tls;
      const value = stringValue(line, tls.minVersion);
      const version = TLS_VERSIONS.get(value);
      if (!version) fail(line, `Unsupported tls_version "${value}".`);
      tls.minVersion = version;
      tls.lines.minVersion = line;
    },
    require_certificate: (line) => {
      const tls = this.listener(line).tls;
      tls.requireCertificate = boolValue(line, this.warn);
      tls.lines.requireCertificate = line;
    },
    use_identity_as_username: (line) => {
      const tls = this.listener(line).tls;
      tls.useIdentityAsUsername = boolValue(line, this.warn);
      tls.lines.useIdentityAsUsername = line;
    },
    allow_anonymous: (line) => {
      this.security(line).allowAnonymousSetting = boolValue(line, this.warn);
    },
    password_file: (line) => {
      const security = this.security(line);
      security.passwordFile = stringValue(line, security.passwordFile);
    },
    acl_file: (line) => {
      const security = this.security(line);
      security.aclFile = stringValue(line, security.aclFile);
    },
    allow_zero_length_clientid: (line) => {
      this.security(line).allowZeroLengthClientId = boolValue(line, this.warn);
    },
    auto_id_prefix: (line) => {
      const security = this.security(line);
      security.autoIdPrefix = stringValue(line, undefined);
    },
    per_listener_settings: (line) => {
      this.config.perListenerSettings = boolValue(line, this.warn);
      if (this.securitySeen && this.config.perListenerSettings) {
        fail(line, 'per_listener_settings must be set before any other security settings.');
      }
    },
    max_inflight_messages: (line) => {
      const n = intValue(line, this.warn);
      if (n > 65535) fail(line, 'max_inflight_messages must be <= 65535.');
      // Mosquitto: negative or 65535 means no limit, which it stores as 0
      this.config.maxInflightMessages = n < 0 || n === 65535 ? 0 : n;
    },
    max_queued_messages: (line) => {
      this.config.maxQueuedMessages = Math.max(0, intValue(line, this.warn));
    },
    queue_qos0_messages: (line) => {
      this.config.queueQos0Messages = boolValue(line, this.warn);
    },
    // Mosquitto: negative means no limit, stored as 0
    max_inflight_bytes: (line) => {
      this.config.maxInflightBytes = Math.max(0, intValue(line, this.warn));
    },
    // bytes; Mosquitto: 0 (the default) is no limit
    memory_limit: (line) => {
      this.config.memoryLimit = Math.max(0, intValue(line, this.warn));
    },
    max_queued_bytes: (line) => {
      this.config.maxQueuedBytes = Math.max(0, intValue(line, this.warn));
    },
    max_packet_size: (line) => {
      const n = intValue(line, this.warn);
      if (n < 20) fail(line, `Invalid max_packet_size value (${n}).`);
      this.config.maxPacketSize = n;
    },
    message_size_limit: (line) => {
      const n = intValue(line, this.warn);
      if (n < 0 || n > MAX_PAYLOAD) fail(line, `Invalid message_size_limit value (${n}).`);
      this.config.messageSizeLimit = n;
    },
    max_keepalive: (line) => {
      const n = intValue(line, this.warn);
      if (n < 10 || n > 65535) fail(line, `Invalid max_keepalive value (${n}).`);
      this.config.maxKeepalive = n;
    },
    sys_interval: (line) => {
      const n = intValue(line, this.warn);
      if (n < 0 || n > 65535) fail(line, `Invalid sys_interval value (${n}).`);
      this.config.sysInterval = n;
    },
    retain_available: (line) => {
      this.config.retainAvailable = boolValue(line, this.warn);
    },
    check_retain_source: (line) => {
      this.config.checkRetainSource = boolValue(line, this.warn);
    },
    connection_messages: (line) => {
      this.config.log.connectionMessages = boolValue(line, this.warn);
    },
    log_timestamp: (line) => {
      this.config.log.timestamp = boolValue(line, this.warn);
    },
    log_timestamp_format: (line) => {
      this.config.log.timestampFormat = stringValue(line, this.config.log.timestampFormat);
    },
    log_facility: (line) => {
      const n = intValue(line, this.warn);
      if (n < 0 || n > 7) fail(line, `Invalid log_facility value (${n}).`);
      this.config.log.facility = n;
    },
    log_type: (line) => this.logType(line),
    log_dest: (line) => this.logDestination(line),
    persistence: (line) => this.persistence(line),
    retained_persistence: (line) => this.persistence(line),
    persistence_location: (line) => {
      this.config.persistenceLocation = stringValue(line, this.config.persistenceLocation);
    },
    persistence_file: (line) => {
      this.config.persistenceFile = stringValue(line, this.config.persistenceFile);
    },
    // [extra] durable (default): PUBACK/PUBREC after the synced commit; autosave: Mosquitto's cost
    persistence_mode: (line) => {
      this.config.persistenceMode = wordValue(line, this.warn, ['durable', 'autosave'] as const, (v) => `Invalid persistence_mode value (${v}).`);
    },
    autosave_interval: (line) => {
      const n = intValue(line, this.warn);
      if (n < 0) fail(line, `Invalid autosave_interval value (${n}).`);
      this.config.autosaveInterval = n;
    },
    autosave_on_changes: (line) => {
      this.config.autosaveOnChanges = boolValue(line, this.warn);
    },
    persistent_client_expiration: (line) => {
      const value = line.args[0];
      if (value === undefined) fail(line, 'Empty persistent_client_expiration value in configuration.');
      const match = /^([0-9]{1,9})([hdwmy])$/.exec(value);
      const seconds = match ? Number(match[1]) * EXPIRATION_UNITS[match[2]!]! : 0;
      if (seconds <= 0) fail(line, 'Invalid persistent_client_expiration duration in configuration.');
      this.config.persistentClientExpiration = seconds;
    },
    user: (line) => {
      this.config.user = stringValue(line, undefined);
    },
    include_dir: (line, level) => this.includeDir(line, level),
    plugin: (line) => this.plugins.plugin(line, this.security(line)),
    auth_plugin: (line) => this.plugins.plugin(line, this.security(line)),
    auth_plugin_deny_special_chars: (line) => this.plugins.denySpecialChars(line),
    connection: (line) => {
      const name = line.args[0];
      if (name === undefined) fail(line, 'Empty connection value in configuration.');
      if (this.bridges.some((b) => b.config.name === name)) fail(line, `Duplicate bridge name "${name}".`);
      this.bridges.push(newBridgeDraft(name, line));
    },
  };

  private maxQos(line: ConfigLine): void {
    const n = intValue(line, this.warn);
    if (n !== 0 && n !== 1 && n !== 2) fail(line, `${line.keyword} must be between 0 and 2 inclusive (not ${n}).`);
    this.listener(line).listener.maxQos = n;
  }

  private tlsString(line: ConfigLine, key: 'caFile' | 'caPath' | 'certFile' | 'keyFile' | 'crlFile' | 'ciphers' | 'ciphersTls13' | 'dhParamFile' | 'pskHint'): void {
    const tls = this.listener(line).tls;
    tls[key] = stringValue(line, tls[key]);
    tls.lines[key] = line;
  }

  private logType(line: ConfigLine): void {
    const word = wordValue(line, this.warn, ['none', 'all', 'information', ...ALL_LOG_TYPES], (v) => `Invalid log_type value (${v}).`);
    // the first log_type line replaces the defaults, later ones add to it
    const types = (this.logTypes ??= new Set());
    if (word === 'none') types.clear();
    else if (word === 'all') ALL_LOG_TYPES.forEach((t) => types.add(t));
    else types.add(word);
  }

  private logDestination(line: ConfigLine): void {
    const word = line.args[0];
    if (word === undefined) fail(line, 'Empty log_dest value in configuration.');
    const dest = (this.logDest ??= { stderr: false, stdout: false, topic: false });
    if (word === 'none') {
      Object.assign(dest, { stderr: false, stdout: false, topic: false, file: undefined, syslog: false });
    } else if (word === 'stderr' || word === 'stdout' || word === 'topic' || word === 'syslog') {
      dest[word] = true;
    } else if (word === 'file') {
      if (dest.file !== undefined) fail(line, 'Duplicate "log_dest file" value.');
      const file = line.rest.slice(4).trim();
      if (file === '') fail(line, 'Empty "log_dest file" value in configuration.');
      dest.file = file;
    } else if (word === 'dlt') {
      this.warn(`Warning: log_dest ${word} at ${describeLocation(line.loc)} is not supported (ignored).`);
    } else {
      fail(line, `Invalid log_dest value (${word}).`);
    }
  }

  private persistence(line: ConfigLine): void {
    this.config.persistence = boolValue(line, this.warn);
  }

  private includeDir(line: ConfigLine, level: number): void {
    if (level > 0) {
      // Mosquitto silently reads include_dir only from the main file
      this.warn(`Warning: include_dir in an included file at ${describeLocation(line.loc)} (ignored: only the main file may include).`);
      return;
    }
    if (line.rest === '') fail(line, 'Empty include_dir value in configuration.');
    let files: IncludedFile[];
    try {
      files = this.readIncludeDir(line.rest);
    } catch {
      return fail(line, `Unable to open include_dir '${line.rest}'.`);
    }
    for (const file of files) this.readFile(decodeConfigText(file.data, file.path), file.path, level + 1);
  }

  /** The configuration, once every line has been read. */
  finish(): BrokerConfig {
    const config = this.config;
    const listeners = this.drafts.map((d) => this.finishListener(d));
    if (this.defaultWanted) {
      const draft = this.defaultDraft;
      draft.listener.port = this.defaultPort ?? DEFAULT_PORT;
      if (this.defaultHost !== undefined) draft.listener.host = this.defaultHost;
      draft.listener.origin = describeLocation(this.defaultWanted.loc);
      // Mosquitto adds the default listener after the others
      listeners.push(this.finishListener(draft));
    } else {
      this.warnOrphans();
    }
    config.localOnly = this.localOnly;
    config.listeners = this.localOnly ? this.localListeners() : listeners;
    resolveAllowAnonymous(config.security, this.localOnly);
    for (const s of new Set([config.security, ...config.listeners.map((l) => l.security)])) PluginLines.check(s);
    if (this.logTypes) config.log.types = ALL_LOG_TYPES.filter((t) => this.logTypes!.has(t));
    if (this.logDest) config.log.dest = this.logDest;
    config.bridges = finishBridges(this.bridges);
    return config;
  }

  private finishListener(draft: ListenerDraft): ListenerConfig {
    const listener = draft.listener;
    const tls = finishTls(draft.tls);
    if (tls) listener.tls = tls;
    if (this.config.perListenerSettings) resolveAllowAnonymous(listener.security, false);
    else listener.security = this.config.security;
    return listener;
  }

  private localListeners(): ListenerConfig[] {
    // per listener, Mosquitto's local listeners start with fresh options that allow anonymous clients
    const security = this.config.perListenerSettings ? defaultSecurityOptions() : this.config.security;
    if (this.config.perListenerSettings) resolveAllowAnonymous(security, true);
    return localOnlyListeners([DEFAULT_PORT], LOCAL_ONLY_HOSTS, security);
  }

  /**
   * Options for the default listener when none comes to be. Mosquitto 2.0 would, for some of
   * them, quietly open an extra listener on port 1883 on every interface; that is not done here.
   */
  private warnOrphans(): void {
    for (const line of this.defaultDraft.options) {
      this.warn(
        `Warning: "${line.keyword}" at ${describeLocation(line.loc)} comes before any listener, and no port or bind_address line creates the default listener it would apply to (ignored).`,
      );
    }
  }
}
