/**
 * A `connection` section of mosquitto.conf, typed: one bridge from this broker to a remote one.
 * Defaults are Mosquitto 2.0's (src/conf.c and mosquitto.conf(5), "Configuring Bridges").
 */
import type { QoS } from '../../core/protocol/types.js';

export type BridgeDirection = 'out' | 'in' | 'both';

/**
 * One `topic` line, with the topics Mosquitto derives from it (bridge__add_topic): the filter
 * subscribed on each side is the prefix followed by the pattern; an empty pattern ("") maps the
 * single topic `localPrefix` to the single topic `remotePrefix`.
 */
export interface BridgeTopic {
  /** undefined for the empty pattern "" */
  pattern?: string;
  direction: BridgeDirection;
  qos: QoS;
  localPrefix?: string;
  remotePrefix?: string;
  /** the filter on the local broker: localPrefix + pattern */
  localTopic: string;
  /** the filter on the remote broker: remotePrefix + pattern */
  remoteTopic: string;
}

export interface BridgeAddress {
  host: string;
  port: number;
  /** [extra] MQTT over WebSocket to this address (`address ws://host:port/path`), with its HTTP path */
  webSocket?: { secure: boolean; path: string };
}

/** An address as the log names it: host:port, or the WebSocket URL. */
export function addressText(a: BridgeAddress): string {
  const host = a.host.includes(':') ? `[${a.host}]` : a.host;
  return a.webSocket ? `${a.webSocket.secure ? 'wss' : 'ws'}://${host}:${a.port}${a.webSocket.path}` : `${a.host}:${a.port}`;
}

export type BridgeStartType = 'automatic' | 'lazy' | 'once';

export interface BridgeTls {
  caFile?: string;
  caPath?: string;
  certFile?: string;
  keyFile?: string;
  insecure: boolean;
  version?: 'tlsv1.1' | 'tlsv1.2' | 'tlsv1.3';
  alpn?: string;
  psk?: { identity: string; keyHex: string };
}

export interface BridgeConfig {
  name: string;
  /** where the section starts, for messages ("mosquitto.conf:12") */
  origin: string;
  addresses: BridgeAddress[];
  roundRobin: boolean;
  topics: BridgeTopic[];
  /** Mosquitto's default: "<hostname>.<name>" (config__check) */
  remoteClientId: string;
  remoteUsername?: string;
  remotePassword?: string;
  /** Mosquitto's default: "local.<remoteClientId>" */
  localClientId: string;
  localUsername?: string;
  localPassword?: string;
  cleanSession: boolean;
  localCleanSession: boolean;
  protocolVersion: 3 | 4 | 5;
  tryPrivate: boolean;
  attemptUnsubscribe: boolean;
  outgoingRetain: boolean;
  /** 0 = no limit beyond the remote's */
  maxPacketSize: number;
  keepalive: number;
  startType: BridgeStartType;
  /** seconds; with a cap, the base of Mosquitto's "decorrelated jitter" backoff */
  restartTimeout: number;
  /** seconds; 0 = constant restart_timeout */
  backoffCap: number;
  /** start_type lazy: messages waiting for the remote that start the bridge again (Mosquitto: 10) */
  threshold: number;
  /** start_type lazy: seconds without traffic after which the bridge stops (Mosquitto: 60) */
  idleTimeout: number;
  notifications: boolean;
  notificationsLocalOnly: boolean;
  /** default $SYS/broker/connection/<remoteClientId>/state */
  notificationTopic: string;
  bindAddress?: string;
  tls?: BridgeTls;
}
