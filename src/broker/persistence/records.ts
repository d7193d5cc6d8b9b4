import type { Properties, QoS } from '../../core/protocol/types.js';
import type { BrokerMessage } from '../message.js';
import type { RetainSource, SourceListener } from '../retained-store.js';

/**
 * The store's format. Bump when a record changes shape; a store with a higher number was written
 * by a newer mqtt and is refused rather than misread.
 */
export const FORMAT_VERSION = 1;

/** meta/format: written once when the store is made */
export interface FormatRecord {
  version: number;
  /** "mqtt 0.1.0": what made the store, for the error message when it is too new */
  writer: string;
  created: number;
}

/**
 * An application message as stored: the BrokerMessage without its per-hop encodings. Its expiresAt
 * is epoch ms, so the expiry keeps counting down while the broker is stopped [MQTT-3.3.2-5].
 */
export type StoredMessage = Pick<BrokerMessage, 'topic' | 'payload' | 'qos' | 'retain' | 'properties' | 'expiresAt' | 'senderId'> & {
  /**
   * check_retain_source: who published a retained message or a will (see RetainSource), its
   * listener by port as Mosquitto keeps it (source_port; 0: a unix socket or none). false: the
   * broker's own or a bridge's, never checked. Absent: written before mqtt kept sources (see
   * storedSource), or a message that is neither retained nor a will.
   */
  source?: { username?: string; port: number } | false;
};

/** sessions/<client id>: what a persistent session needs beyond its subscriptions and messages */
export interface SessionRecord {
  clientId: string;
  protocolVersion: number;
  /** seconds; 0xFFFFFFFF never */
  expiryInterval: number;
  /** epoch ms the client went away; undefined while connected (counted from the restart then) */
  disconnectedAt?: number;
  username?: string;
  /** the packet id its next outgoing QoS 1/2 message gets: numbering goes on after a restart, as Mosquitto's last_mid */
  nextPacketId?: number;
}

/** subscriptions/<client id>\0<filter as sent> */
export interface SubscriptionRecord {
  filter: string;
  qos: QoS;
  noLocal: boolean;
  retainAsPublished: boolean;
  retainHandling: number;
  subscriptionId?: number;
}

/**
 * queue/[<client id>, seq]: a QoS 1/2 (or queued QoS 0) delivery for a session, from when it is
 * queued or sent until its flow completes (or, QoS 2, until PUBREC: see OutgoingInflightRecord)
 */
export interface QueuedRecord {
  message: StoredMessage;
  qos: QoS;
  retain: boolean;
  subscriptionIds?: number[];
  /** sent as soon as it was stored, under this packet id (else see OutgoingInflightRecord) */
  packetId?: number;
  /** not sent yet; numbered when queued for its offline client, and sent under this id */
  reservedId?: number;
}

/**
 * inflight/<client id>\0o<packet id>: a stored delivery in flight under this packet id.
 * 'ack': it was queued first and sent later; its message is the queue record `seq`.
 * 'pubcomp': PUBREC came and PUBREL went; the message is gone from the queue [MQTT-4.3.3-6], a
 * restart resumes with PUBREL under this id [MQTT-4.4.0-1]. `seq` keeps the send order.
 */
export interface OutgoingInflightRecord {
  packetId: number;
  seq: number;
  stage: 'ack' | 'pubcomp';
}

/** inflight/<client id>\0i<packet id>: a QoS 2 PUBLISH received, PUBREC sent, PUBREL awaited */
export interface IncomingQos2Record {
  packetId: number;
}

/** wills/<client id>: a will waiting for its delay (v5 will delay interval) */
export interface WillRecord {
  message: StoredMessage;
  /** epoch ms the will is due */
  sendAt: number;
}

/** `source`: a retained message's (RetainedEntry) or a will's; the will's own is used when none is given. */
export function toStoredMessage(m: BrokerMessage, source: RetainSource | undefined = m.willSource): StoredMessage {
  const s: StoredMessage = { topic: m.topic, payload: m.payload, qos: m.qos, retain: m.retain };
  if (m.properties !== undefined) s.properties = m.properties;
  if (m.expiresAt !== undefined) s.expiresAt = m.expiresAt;
  if (m.senderId !== undefined) s.senderId = m.senderId;
  if (source !== undefined) {
    if (source.listener === undefined) s.source = false;
    else s.source = source.username === undefined ? { port: source.listener?.port ?? 0 } : { username: source.username, port: source.listener?.port ?? 0 };
  }
  return s;
}

export function fromStoredMessage(s: StoredMessage): BrokerMessage {
  const m: BrokerMessage = { topic: s.topic, payload: Buffer.isBuffer(s.payload) ? s.payload : Buffer.from(s.payload), qos: s.qos, retain: s.retain };
  if (s.properties != null) m.properties = s.properties;
  if (s.expiresAt != null) m.expiresAt = s.expiresAt;
  if (s.senderId != null) m.senderId = s.senderId;
  return m;
}

/**
 * The source of a stored retained message or will. A record from before mqtt kept sources has its
 * client id only: it is read as Mosquitto reads a store from before 1.5.6 (no source_username nor
 * source_port), a client without a username on no known listener, so check_retain_source still
 * applies (failing closed: with per_listener_settings it is not delivered). A record without a
 * client id is the broker's own, never checked. A port no listener has any more: none known
 * (Mosquitto's persist__msg_store_chunk_restore finds the listener by port the same way).
 */
export function storedSource(s: StoredMessage, listeners: ReadonlyMap<number, SourceListener>): RetainSource {
  const source = s.source;
  if (source === false) return NO_SOURCE;
  if (source == null) return s.senderId == null ? NO_SOURCE : { username: undefined, listener: null };
  return { username: source.username ?? undefined, listener: (source.port !== 0 && listeners.get(source.port)) || null };
}

const NO_SOURCE: RetainSource = { username: undefined, listener: undefined };
