import { userPropertyList } from '../core/protocol/user-properties.js';

/** One PUBLISH as the subscriber received it: what `sub`, `sniff` and `bench` print. */
export interface ReceivedMessage {
  topic: string;
  payload: Buffer;
  qos: 0 | 1 | 2;
  retain: boolean;
  /** packet identifier; 0 for QoS 0 */
  mid: number;
  /**
   * MQTT 5 PUBLISH properties in mqtt-packet's shape, keys in wire order (mqtt-packet inserts them
   * as it meets them, and mosquitto_sub's JSON follows the wire order too): payloadFormatIndicator
   * (mqtt-packet decodes it as a boolean), messageExpiryInterval, topicAlias, responseTopic,
   * correlationData (Buffer), userProperties (Record<string, string | string[]>),
   * subscriptionIdentifier (number | number[]), contentType.
   */
  properties?: Record<string, unknown>;
  /**
   * User properties as wire-ordered pairs, when the producer knows them. mqtt-packet folds repeated
   * keys into one array, losing interleavings like a=1 b=2 a=3 that `%P` and `%j` print in wire
   * order; when this is set it is used instead of properties.userProperties.
   */
  userPropertyList?: ReadonlyArray<readonly [string, string]>;
  receivedAt: { epochMs: number; nanos: number /* 0..999999999 within the second */ };
}

/** The user properties in the order they should be printed: wire order when the decoder kept it. */
export function userPropertyPairs(msg: ReceivedMessage): Array<readonly [string, string]> {
  if (msg.userPropertyList) return [...msg.userPropertyList];
  return userPropertyList(msg.properties?.userProperties);
}

/** Whole seconds since the epoch of the receive time (floor, also before 1970). */
export function receivedSeconds(msg: ReceivedMessage): number {
  return Math.floor(msg.receivedAt.epochMs / 1000);
}

/** First value of a property that may repeat (subscription identifiers). */
export function firstOf(v: unknown): unknown {
  return Array.isArray(v) ? v[0] : v;
}

/** mqtt-packet gives byte properties as booleans; mosquitto prints the byte. */
export function byteValue(v: unknown): number {
  return typeof v === 'boolean' ? (v ? 1 : 0) : Number(v);
}
