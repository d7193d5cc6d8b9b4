import type { SecurityOptions } from './config/broker-config.js';
import type { BrokerMessage } from './message.js';

export enum ClientState {
  /** TCP is open, CONNECT not yet received */
  AwaitingConnect = 'awaiting-connect',
  Connected = 'connected',
  Closed = 'closed',
}

export interface ListenerInfo {
  /** listener port, or 0 for a unix socket */
  port: number;
  protocol: 'mqtt' | 'websockets';
  name: string;
  /** the listener's security options (used when per_listener_settings is on) */
  security?: SecurityOptions;
  /** max_qos: the highest QoS its clients may use and are sent (undefined = 2) */
  maxQos?: 0 | 1 | 2;
  /** max_topic_alias: topic aliases accepted from its v5 clients (undefined = the broker's limits.topicAliasMaximum) */
  maxTopicAlias?: number;
}

export interface ConnectionInfo {
  remoteAddress: string;
  remotePort: number;
  listener: ListenerInfo;
  /** TLS client certificate subject CN, for use_identity_as_username */
  certificateIdentity?: string;
}

/** Will message as given in CONNECT, waiting for an abnormal end of the connection. */
export interface PendingWill {
  message: BrokerMessage;
  delaySeconds: number;
}
