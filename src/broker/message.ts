import type { QoS, Properties } from '../core/protocol/types.js';
import type { ProtocolVersion } from '../core/protocol/types.js';
import { encodePublish, type PublishFrame } from '../core/protocol/publish-encoder.js';
import type { SecurityOptions } from './config/broker-config.js';

/** The listener a message came in on, as check_retain_source needs it (Mosquitto's source_listener). */
export interface SourceListener {
  /** what a store keeps to find the listener again after a restart (0: a unix socket) */
  readonly port: number;
  /** its security options, those that apply with per_listener_settings */
  readonly security?: SecurityOptions;
}

/**
 * Who published a message, kept with a retained one for check_retain_source (Mosquitto's
 * source_id, source_username and source_listener; the client id is the message's senderId).
 * `listener` undefined: the broker's own message or a bridge's, never checked. null: a client's,
 * on a listener not known any more (a restart with other ports): with per_listener_settings there
 * are no options to check it against, and it is not delivered, as in Mosquitto.
 */
export interface RetainSource {
  readonly username: string | undefined;
  readonly listener: SourceListener | null | undefined;
}

/** An application message as the broker routes it: one object shared by every delivery. */
export interface BrokerMessage {
  topic: string;
  payload: Buffer;
  qos: QoS;
  retain: boolean;
  /** v5 properties to forward (never topicAlias or subscriptionIdentifier, those are per hop) */
  properties?: Properties;
  /** epoch ms after which the message must not be delivered (v5 message expiry) */
  expiresAt?: number;
  /** client id of the publisher, for no-local subscriptions */
  senderId?: string;
  /**
   * A will's publisher (username, listener), for check_retain_source when the will is retained:
   * it goes out when its client is gone, perhaps after a restart. Other messages have their
   * publisher at hand when they are retained (Broker.publish).
   */
  willSource?: RetainSource;
  /**
   * Frames encoded once per (version, QoS, retain flag) and written to every subscriber alike: the
   * first one here with its key (nearly every message needs just one, and a Map per message cost
   * more than the encoding), any others in `frames`.
   */
  frame?: PublishFrame;
  frameKey?: number;
  frames?: Map<number, PublishFrame>;
}

/**
 * Bytes a message may keep beyond the read they came in: a copy when `bytes` is a view into a much
 * larger buffer (decoded payloads are slices of the socket's read buffer, up to 64 KB or a whole
 * large packet), so that a stored 1-byte payload does not keep that whole buffer alive. Small
 * copies come from Node's shared pool, which is why a view into a pool slab is kept as it is.
 */
export function ownBytes(bytes: Buffer): Buffer {
  return bytes.buffer.byteLength > Math.max(Buffer.poolSize, 2 * bytes.length) ? Buffer.from(bytes) : bytes;
}

/** [MQTT-3.3.2-6] the Message Expiry Interval a message is forwarded with: the time it has left, not the original. */
export function remainingExpirySeconds(expiresAt: number, now: number): number {
  return Math.max(0, Math.ceil((expiresAt - now) / 1000));
}

/**
 * The PUBLISH bytes for one delivery. When nothing differs between subscribers but version, QoS and
 * the retain flag, the frame is cached on the message so fan-out encodes it once; subscription
 * identifiers and a counting-down message expiry make a frame particular to one subscriber.
 */
export function frameFor(
  message: BrokerMessage,
  version: ProtocolVersion,
  qos: QoS,
  retain: boolean,
  subscriptionIds: number[] | undefined,
  now: number,
): PublishFrame {
  const particular = version === 5 && ((subscriptionIds && subscriptionIds.length > 0) || message.expiresAt !== undefined);
  const key = version * 8 + qos * 2 + (retain ? 1 : 0);
  if (!particular) {
    if (message.frameKey === key) return message.frame!;
    const cached = message.frames?.get(key);
    if (cached) return cached;
  }
  let properties: Properties | undefined;
  if (version === 5) {
    properties = message.properties ? { ...message.properties } : undefined;
    if (subscriptionIds && subscriptionIds.length > 0) {
      properties ??= {};
      properties.subscriptionIdentifier = subscriptionIds.length === 1 ? subscriptionIds[0] : subscriptionIds;
    }
    if (message.expiresAt !== undefined) {
      properties ??= {};
      properties.messageExpiryInterval = remainingExpirySeconds(message.expiresAt, now);
    }
  }
  const frame = encodePublish(
    { cmd: 'publish', topic: message.topic, payload: message.payload, qos, retain, dup: false, messageId: 0, properties },
    version,
  );
  if (!particular) {
    if (message.frame === undefined) {
      message.frame = frame;
      message.frameKey = key;
    } else (message.frames ??= new Map()).set(key, frame);
  }
  return frame;
}
