import type { ProtocolVersion, QoS, Properties } from '../core/protocol/types.js';
import type { Endpoint, TlsConfig } from '../core/transport/endpoint.js';
import type { ScramMethod } from '../core/auth/scram.js';

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
  /** write what answers each read at its end (ConnectionOptions.answerEachRead): the broker's bridge */
  answerEachRead?: boolean;
  /** -M: max QoS 1/2 messages in flight (mosquitto default 20) */
  maxInflight: number;
  nodelay: boolean;
  /** -d: library-style debug lines on stdout */
  debug: boolean;
  /** --quiet: suppress runtime error messages */
  quiet: boolean;
}

