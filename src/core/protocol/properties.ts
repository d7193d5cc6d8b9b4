/**
 * The MQTT 5 property table (spec section 2.2.2.2, table 2-4) as data, so codec checks, the broker,
 * `-D` parsing and sniff output all read one source instead of repeating switch statements.
 */

/** Wire data types of section 1.5. */
export type PropertyDataType =
  | 'byte'
  | 'two-byte-int'
  | 'four-byte-int'
  | 'varint'
  | 'utf8-string'
  | 'binary'
  | 'string-pair';

/** Packet types that carry properties, plus the will (its properties live inside CONNECT). */
export type PropertyPacket =
  | 'connect'
  | 'connack'
  | 'publish'
  | 'puback'
  | 'pubrec'
  | 'pubrel'
  | 'pubcomp'
  | 'subscribe'
  | 'suback'
  | 'unsubscribe'
  | 'unsuback'
  | 'disconnect'
  | 'auth'
  | 'will';

export interface PropertyInfo {
  /** identifier on the wire, 0x01..0x2A */
  readonly id: number;
  /** hyphenated name as Mosquitto spells it (`-D`, `%P`-style output, logs) */
  readonly name: string;
  /** key in mqtt-packet's `properties` objects */
  readonly key: string;
  readonly type: PropertyDataType;
  /** packets that may carry it, per table 2-4 */
  readonly packets: ReadonlySet<PropertyPacket>;
  /** packets where it may appear more than once (mqtt-packet then hands us an array) */
  readonly repeatableIn: ReadonlySet<PropertyPacket>;
  /** mqtt-packet encodes these `byte` properties from booleans and parses them to booleans */
  readonly boolean: boolean;
}

type Row = [id: number, name: string, key: string, type: PropertyDataType, packets: PropertyPacket[]];

// Packets where User Property may appear: every property-carrying packet, as many times as wanted.
const ALL_PACKETS: PropertyPacket[] = [
  'connect', 'connack', 'publish', 'will', 'puback', 'pubrec', 'pubrel', 'pubcomp',
  'subscribe', 'suback', 'unsubscribe', 'unsuback', 'disconnect', 'auth',
];

// Note mqtt-packet's spellings: `maximumQoS`, `subscriptionIdentifiersAvailable` (plural) and
// `userProperties`; the same keys are used inside `will.properties`.
const ROWS: Row[] = [
  [0x01, 'payload-format-indicator', 'payloadFormatIndicator', 'byte', ['publish', 'will']],
  [0x02, 'message-expiry-interval', 'messageExpiryInterval', 'four-byte-int', ['publish', 'will']],
  [0x03, 'content-type', 'contentType', 'utf8-string', ['publish', 'will']],
  [0x08, 'response-topic', 'responseTopic', 'utf8-string', ['publish', 'will']],
  [0x09, 'correlation-data', 'correlationData', 'binary', ['publish', 'will']],
  [0x0b, 'subscription-identifier', 'subscriptionIdentifier', 'varint', ['publish', 'subscribe']],
  [0x11, 'session-expiry-interval', 'sessionExpiryInterval', 'four-byte-int', ['connect', 'connack', 'disconnect']],
  [0x12, 'assigned-client-identifier', 'assignedClientIdentifier', 'utf8-string', ['connack']],
  [0x13, 'server-keep-alive', 'serverKeepAlive', 'two-byte-int', ['connack']],
  [0x15, 'authentication-method', 'authenticationMethod', 'utf8-string', ['connect', 'connack', 'auth']],
  [0x16, 'authentication-data', 'authenticationData', 'binary', ['connect', 'connack', 'auth']],
  [0x17, 'request-problem-information', 'requestProblemInformation', 'byte', ['connect']],
  [0x18, 'will-delay-interval', 'willDelayInterval', 'four-byte-int', ['will']],
  [0x19, 'request-response-information', 'requestResponseInformation', 'byte', ['connect']],
  [0x1a, 'response-information', 'responseInformation', 'utf8-string', ['connack']],
  [0x1c, 'server-reference', 'serverReference', 'utf8-string', ['connack', 'disconnect']],
  [0x1f, 'reason-string', 'reasonString', 'utf8-string',
    ['connack', 'puback', 'pubrec', 'pubrel', 'pubcomp', 'suback', 'unsuback', 'disconnect', 'auth']],
  [0x21, 'receive-maximum', 'receiveMaximum', 'two-byte-int', ['connect', 'connack']],
  [0x22, 'topic-alias-maximum', 'topicAliasMaximum', 'two-byte-int', ['connect', 'connack']],
  [0x23, 'topic-alias', 'topicAlias', 'two-byte-int', ['publish']],
  [0x24, 'maximum-qos', 'maximumQoS', 'byte', ['connack']],
  [0x25, 'retain-available', 'retainAvailable', 'byte', ['connack']],
  [0x26, 'user-property', 'userProperties', 'string-pair', ALL_PACKETS],
  [0x27, 'maximum-packet-size', 'maximumPacketSize', 'four-byte-int', ['connect', 'connack']],
  [0x28, 'wildcard-subscription-available', 'wildcardSubscriptionAvailable', 'byte', ['connack']],
  [0x29, 'subscription-identifier-available', 'subscriptionIdentifiersAvailable', 'byte', ['connack']],
  [0x2a, 'shared-subscription-available', 'sharedSubscriptionAvailable', 'byte', ['connack']],
];

function repeatableIn(key: string): PropertyPacket[] {
  if (key === 'userProperties') return ALL_PACKETS;
  // A PUBLISH sent as one copy for overlapping subscriptions carries all their identifiers
  // [MQTT-3.3.4-4]; in SUBSCRIBE a second one is a Protocol Error (section 3.8.2.1.2).
  if (key === 'subscriptionIdentifier') return ['publish'];
  return [];
}

// maximum-qos is the one `byte` property mqtt-packet keeps as a number (its 'int8' type).
export const PROPERTIES: readonly PropertyInfo[] = ROWS.map(([id, name, key, type, packets]) => ({
  id,
  name,
  key,
  type,
  packets: new Set(packets),
  repeatableIn: new Set(repeatableIn(key)),
  boolean: type === 'byte' && key !== 'maximumQoS',
}));

export const PROPERTY_BY_ID: ReadonlyMap<number, PropertyInfo> = new Map(PROPERTIES.map((p) => [p.id, p]));
export const PROPERTY_BY_KEY: ReadonlyMap<string, PropertyInfo> = new Map(PROPERTIES.map((p) => [p.key, p]));
export const PROPERTY_BY_NAME: ReadonlyMap<string, PropertyInfo> = new Map(PROPERTIES.map((p) => [p.name, p]));

/** Lower-cases ASCII only, like C's strcasecmp in the C locale (no Unicode case folding). */
export function asciiLower(s: string): string {
  return s.replace(/[A-Z]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 32));
}

/** Looks a hyphenated name up case-insensitively, as mosquitto_string_to_property_info does. */
export function propertyByName(name: string): PropertyInfo | undefined {
  return PROPERTY_BY_NAME.get(asciiLower(name));
}

function presentKeys(props: Readonly<Record<string, unknown>> | undefined): string[] {
  if (!props) return [];
  // mqtt-packet's encoder skips undefined values, so they are not "present"
  return Object.keys(props).filter((k) => props[k] !== undefined);
}

/**
 * Keys of `props` (mqtt-packet shape) that `packetType` may not carry: unknown keys and properties
 * table 2-4 does not list for that packet. Empty when all are legal.
 */
export function checkPropertiesAllowed(
  packetType: PropertyPacket,
  props: Readonly<Record<string, unknown>> | undefined,
): string[] {
  return presentKeys(props).filter((k) => !PROPERTY_BY_KEY.get(k)?.packets.has(packetType));
}

/**
 * Keys given more than once (an array value in mqtt-packet's shape) where the spec allows one:
 * "It is a Protocol Error to include <property> more than once".
 */
export function findRepeatedProperties(
  packetType: PropertyPacket,
  props: Readonly<Record<string, unknown>> | undefined,
): string[] {
  return presentKeys(props).filter((k) => {
    const info = PROPERTY_BY_KEY.get(k);
    // userProperties is a record whose values may be arrays; the record itself is never repeated
    if (!info || info.type === 'string-pair') return false;
    return Array.isArray(props![k]) && !info.repeatableIn.has(packetType);
  });
}
