export interface BrokerLimits {
  /** largest packet accepted from clients (bytes); undefined = the protocol's own limit */
  maxPacketSize?: number;
  /** payloads above this are dropped (mosquitto message_size_limit); 0 = none */
  messageSizeLimit: number;
  /** QoS 1/2 messages in flight to one client (mosquitto max_inflight_messages; 0 = 65535) */
  maxInflightMessages: number;
  /** QoS 1/2 messages queued per client beyond the in-flight ones (0 = unlimited) */
  maxQueuedMessages: number;
  /** mosquitto queue_qos0_messages: QoS 0 is queued for an offline persistent session, within the queue's limits */
  queueQos0Messages: boolean;
  /**
   * QoS 1/2 payload bytes in flight to one client (mosquitto max_inflight_bytes; 0 = no bound):
   * another message goes out while fewer are in flight, so one larger than the bound still goes, alone
   */
  maxInflightBytes: number;
  /** QoS 1/2 payload bytes queued per client (mosquitto max_queued_bytes; 0 = no bound) */
  maxQueuedBytes: number;
  /** v5 server keep alive cap (mosquitto max_keepalive) */
  maxKeepalive: number;
  maxConnections: number;
  retainAvailable: boolean;
  /** seconds a fresh TCP connection may stay silent before CONNECT */
  connectTimeout: number;
  /** upgrade_outgoing_qos: deliveries at the subscription's QoS rather than min(message, subscription) */
  upgradeOutgoingQos: boolean;
  /** topic aliases we accept from v5 clients, where the listener does not say (max_topic_alias) */
  topicAliasMaximum: number;
  /**
   * seconds after which a disconnected persistent session ends whatever its client asked for
   * (mosquitto persistent_client_expiration); 0 = as the client asked
   */
  persistentClientExpiration: number;
  /** bytes the broker may hold before it refuses new PUBLISHes (mosquitto memory_limit; 0 = none) */
  memoryLimit: number;
}

export const DEFAULT_LIMITS: BrokerLimits = {
  messageSizeLimit: 0,
  maxInflightMessages: 20,
  maxQueuedMessages: 1000,
  queueQos0Messages: false,
  maxInflightBytes: 0,
  maxQueuedBytes: 0,
  maxKeepalive: 65535,
  maxConnections: -1,
  retainAvailable: true,
  connectTimeout: 10,
  topicAliasMaximum: 10,
  upgradeOutgoingQos: false,
  persistentClientExpiration: 0,
  memoryLimit: 0,
};
