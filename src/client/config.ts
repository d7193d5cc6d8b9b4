import type { ScramMethod } from '../core/auth/scram.js';
/** MQTT protocol level on the wire: 3 = 3.1 (MQIsdp), 4 = 3.1.1, 5 = 5.0. */
export type ProtocolVersion = 3 | 4 | 5;
export type QoS = 0 | 1 | 2;

/** v5 properties in mqtt-packet's shape (camelCase keys, userProperties as a record of string|string[]). */
export type Properties = Record<string, unknown>;

export type Scheme = 'mqtt' | 'mqtts' | 'ws' | 'wss' | 'unix';

export interface Endpoint {
  scheme: Scheme;
  host: string;
  port: number;
  /** WebSocket path (default "/mqtt") or unix socket path */
  path?: string;
}

export interface TlsConfig {
  caFile?: string;
  caPath?: string;
  certFile?: string;
  keyFile?: string;
  useOsCerts?: boolean;
  /** like mosquitto: disables host name verification only, the chain is still verified */
  insecure?: boolean;
  version?: 'tlsv1.1' | 'tlsv1.2' | 'tlsv1.3';
  ciphers?: string;
  alpn?: string;
  psk?: { identity: string; keyHex: string };
  /** append the TLS secrets in NSS key log format (Mosquitto 2.1 --tls-keylog) */
  keylogFile?: string;
}

export interface WillConfig {
  topic: string;
  payload: Buffer;
  qos: QoS;
  retain: boolean;
  properties?: Properties;
}

/** Per-packet v5 properties given with -D (already validated against the legality table). */
export interface PacketProperties {
  connect?: Properties;
  publish?: Properties;
  subscribe?: Properties;
  unsubscribe?: Properties;
  disconnect?: Properties;
  will?: Properties;
}

/** Everything needed to open one client connection; produced by the shared option groups. */
export interface ClientConfig {
  endpoint: Endpoint;
  bindAddress?: string;
  protocolVersion: ProtocolVersion;
  /** '' lets a v5 broker assign one */
  clientId: string;
  keepalive: number;
  cleanSession: boolean;
  /** v5 session expiry interval; undefined = property omitted */
  sessionExpiry?: number;
  username?: string;
  password?: Buffer;
  /**
   * MQTT 5 enhanced authentication: username and password prove themselves through SCRAM in
   * CONNECT/AUTH and are not sent in CONNECT's fields
   */
  authMethod?: ScramMethod;
  will?: WillConfig;
  tls?: TlsConfig;
  properties: PacketProperties;
  /** -M: max QoS 1/2 messages in flight (mosquitto default 20) */
  maxInflight: number;
  nodelay: boolean;
  /** -d: library-style debug lines on stdout */
  debug: boolean;
  /** --quiet: suppress runtime error messages */
  quiet: boolean;
}

export type MessageSource =
  | { kind: 'message'; payload: Buffer }
  | { kind: 'file'; path: string }
  | { kind: 'stdin-file' }
  | { kind: 'stdin-line' }
  | { kind: 'null' }
  /** extra: NDJSON records as `sub --json` writes them, one message each */
  | { kind: 'json-lines' };

export interface PubConfig {
  client: ClientConfig;
  topic: string;
  source: MessageSource;
  qos: QoS;
  retain: boolean;
  repeat: number;
  /** seconds to wait after one message is delivered before the next */
  repeatDelay: number;
  /** extra: exit non-zero when a v5 PUBACK/PUBREC carries a failure reason code */
  failOnReason: boolean;
  /** extra, with json-lines: keep the records' time gaps, divided by `speed` */
  replay?: { speed: number };
}

export interface SubConfig {
  client: ClientConfig;
  topics: string[];
  qos: QoS;
  filterOut: string[];
  unsubscribe: string[];
  /** -C: exit after this many printed messages */
  count?: number;
  /** -W: absolute deadline in seconds, exit 27 */
  timeout?: number;
  /** extra: exit after this many seconds without a message (exit 27 like -W) */
  idleTimeout?: number;
  /** -E */
  exitAfterSubscribe: boolean;
  /** -R */
  noRetained: boolean;
  retainedOnly: boolean;
  removeRetained: boolean;
  retainAsPublished: boolean;
  noLocal: boolean;
  /** percentage 0.1..100 */
  randomFilter?: number;
  verbose: boolean;
  /** -N */
  noEol: boolean;
  /** -F, already validated */
  format?: string;
  pretty: boolean;
  /** extra: one JSON object per line */
  json: boolean;
}

/** `mqtt rr`: one request (or --count of them) and the response printed like sub prints. */
export interface RrConfig {
  client: ClientConfig;
  /** request topic */
  topic: string;
  /** -e: subscribed to, and the request's response-topic property (v5) */
  responseTopic: string;
  source: MessageSource;
  qos: QoS;
  /** extra: requests sent one after another (default 1) */
  count: number;
  /** -W: seconds, exit 27 */
  timeout?: number;
  /** -R: ignore retained messages on the response topic */
  noRetained: boolean;
  retainAsPublished: boolean;
  verbose: boolean;
  noEol: boolean;
  format?: string;
  pretty: boolean;
  /** extra: one JSON object per response, with the round-trip latency */
  json: boolean;
}
