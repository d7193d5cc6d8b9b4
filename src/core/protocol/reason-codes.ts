/**
 * Reason codes and the texts users see, as data: MQTT 5 reason codes (spec table 2-6) with the
 * strings libmosquitto prints for them, MQTT 3.1.1 CONNACK return codes, and libmosquitto's own
 * MOSQ_ERR_* numbers. Texts are copied from Mosquitto 2.0.x lib/strings_mosq.c so our clients'
 * messages match mosquitto_pub/mosquitto_sub byte for byte.
 */

/** Packets whose reason code field a code may appear in. */
export type ReasonPacket =
  | 'connack' | 'puback' | 'pubrec' | 'pubrel' | 'pubcomp'
  | 'suback' | 'unsuback' | 'disconnect' | 'auth';

export interface ReasonCodeInfo {
  readonly code: number;
  /** name as in table 2-6; 0x00 has three names depending on the packet */
  readonly name: string;
  readonly packets: readonly ReasonPacket[];
}

const ERRORS_IN_ACKS: ReasonPacket[] = ['connack', 'puback', 'pubrec', 'suback', 'unsuback', 'disconnect'];

export const REASON_CODES: readonly ReasonCodeInfo[] = [
  { code: 0x00, name: 'Success', packets: ['connack', 'puback', 'pubrec', 'pubrel', 'pubcomp', 'unsuback', 'auth'] },
  { code: 0x00, name: 'Normal disconnection', packets: ['disconnect'] },
  { code: 0x00, name: 'Granted QoS 0', packets: ['suback'] },
  { code: 0x01, name: 'Granted QoS 1', packets: ['suback'] },
  { code: 0x02, name: 'Granted QoS 2', packets: ['suback'] },
  { code: 0x04, name: 'Disconnect with Will Message', packets: ['disconnect'] },
  { code: 0x10, name: 'No matching subscribers', packets: ['puback', 'pubrec'] },
  { code: 0x11, name: 'No subscription existed', packets: ['unsuback'] },
  { code: 0x18, name: 'Continue authentication', packets: ['auth'] },
  { code: 0x19, name: 'Re-authenticate', packets: ['auth'] },
  { code: 0x80, name: 'Unspecified error', packets: ERRORS_IN_ACKS },
  { code: 0x81, name: 'Malformed Packet', packets: ['connack', 'disconnect'] },
  { code: 0x82, name: 'Protocol Error', packets: ['connack', 'disconnect'] },
  { code: 0x83, name: 'Implementation specific error', packets: ERRORS_IN_ACKS },
  { code: 0x84, name: 'Unsupported Protocol Version', packets: ['connack'] },
  { code: 0x85, name: 'Client Identifier not valid', packets: ['connack'] },
  { code: 0x86, name: 'Bad User Name or Password', packets: ['connack'] },
  { code: 0x87, name: 'Not authorized', packets: ERRORS_IN_ACKS },
  { code: 0x88, name: 'Server unavailable', packets: ['connack'] },
  { code: 0x89, name: 'Server busy', packets: ['connack', 'disconnect'] },
  { code: 0x8a, name: 'Banned', packets: ['connack'] },
  { code: 0x8b, name: 'Server shutting down', packets: ['disconnect'] },
  { code: 0x8c, name: 'Bad authentication method', packets: ['connack', 'disconnect'] },
  { code: 0x8d, name: 'Keep Alive timeout', packets: ['disconnect'] },
  { code: 0x8e, name: 'Session taken over', packets: ['disconnect'] },
  { code: 0x8f, name: 'Topic Filter invalid', packets: ['suback', 'unsuback', 'disconnect'] },
  { code: 0x90, name: 'Topic Name invalid', packets: ['connack', 'puback', 'pubrec', 'disconnect'] },
  { code: 0x91, name: 'Packet Identifier in use', packets: ['puback', 'pubrec', 'suback', 'unsuback'] },
  { code: 0x92, name: 'Packet Identifier not found', packets: ['pubrel', 'pubcomp'] },
  { code: 0x93, name: 'Receive Maximum exceeded', packets: ['disconnect'] },
  { code: 0x94, name: 'Topic Alias invalid', packets: ['disconnect'] },
  { code: 0x95, name: 'Packet too large', packets: ['connack', 'disconnect'] },
  { code: 0x96, name: 'Message rate too high', packets: ['disconnect'] },
  { code: 0x97, name: 'Quota exceeded', packets: ['connack', 'puback', 'pubrec', 'suback', 'disconnect'] },
  { code: 0x98, name: 'Administrative action', packets: ['disconnect'] },
  { code: 0x99, name: 'Payload format invalid', packets: ['connack', 'puback', 'pubrec', 'disconnect'] },
  { code: 0x9a, name: 'Retain not supported', packets: ['connack', 'disconnect'] },
  { code: 0x9b, name: 'QoS not supported', packets: ['connack', 'disconnect'] },
  { code: 0x9c, name: 'Use another server', packets: ['connack', 'disconnect'] },
  { code: 0x9d, name: 'Server moved', packets: ['connack', 'disconnect'] },
  { code: 0x9e, name: 'Shared Subscriptions not supported', packets: ['suback', 'disconnect'] },
  { code: 0x9f, name: 'Connection rate exceeded', packets: ['connack', 'disconnect'] },
  { code: 0xa0, name: 'Maximum connect time', packets: ['disconnect'] },
  { code: 0xa1, name: 'Subscription Identifiers not supported', packets: ['suback', 'disconnect'] },
  { code: 0xa2, name: 'Wildcard Subscriptions not supported', packets: ['suback', 'disconnect'] },
];

/** Named constants for handlers (`throw new ProtocolError(RC.TopicNameInvalid)`). */
export const RC = {
  Success: 0x00, NormalDisconnection: 0x00, GrantedQoS0: 0x00, GrantedQoS1: 0x01, GrantedQoS2: 0x02,
  DisconnectWithWillMessage: 0x04, NoMatchingSubscribers: 0x10, NoSubscriptionExisted: 0x11,
  ContinueAuthentication: 0x18, ReAuthenticate: 0x19,
  UnspecifiedError: 0x80, MalformedPacket: 0x81, ProtocolError: 0x82, ImplementationSpecificError: 0x83,
  UnsupportedProtocolVersion: 0x84, ClientIdentifierNotValid: 0x85, BadUserNameOrPassword: 0x86,
  NotAuthorized: 0x87, ServerUnavailable: 0x88, ServerBusy: 0x89, Banned: 0x8a, ServerShuttingDown: 0x8b,
  BadAuthenticationMethod: 0x8c, KeepAliveTimeout: 0x8d, SessionTakenOver: 0x8e, TopicFilterInvalid: 0x8f,
  TopicNameInvalid: 0x90, PacketIdentifierInUse: 0x91, PacketIdentifierNotFound: 0x92,
  ReceiveMaximumExceeded: 0x93, TopicAliasInvalid: 0x94, PacketTooLarge: 0x95, MessageRateTooHigh: 0x96,
  QuotaExceeded: 0x97, AdministrativeAction: 0x98, PayloadFormatInvalid: 0x99, RetainNotSupported: 0x9a,
  QoSNotSupported: 0x9b, UseAnotherServer: 0x9c, ServerMoved: 0x9d, SharedSubscriptionsNotSupported: 0x9e,
  ConnectionRateExceeded: 0x9f, MaximumConnectTime: 0xa0, SubscriptionIdentifiersNotSupported: 0xa1,
  WildcardSubscriptionsNotSupported: 0xa2,
} as const;

/** The spec name of `code` as used in `packet` (or its first name when no packet is given). */
export function reasonCodeName(code: number, packet?: ReasonPacket): string | undefined {
  return REASON_CODES.find((r) => r.code === code && (!packet || r.packets.includes(packet)))?.name;
}

/** Whether table 2-6 lists `code` for `packet`. */
export function isReasonCodeAllowed(packet: ReasonPacket, code: number): boolean {
  return REASON_CODES.some((r) => r.code === code && r.packets.includes(packet));
}

// mosquitto_reason_string() uses one text per code (0 is always "Success") and these differ from the
// spec names only in two: 0x00 and 0xA1 ("Subscription identifiers not supported").
const MOSQUITTO_REASON_TEXT: ReadonlyMap<number, string> = new Map(
  REASON_CODES.filter((r) => r.code !== 0x00).map((r) => [r.code, r.name] as const).concat([
    [0x00, 'Success'],
    [0xa1, 'Subscription identifiers not supported'],
  ]),
);

/** libmosquitto `mosquitto_reason_string()`. */
export function mosquittoReasonString(code: number): string {
  return MOSQUITTO_REASON_TEXT.get(code) ?? 'Unknown reason';
}

/** MQTT 3.1.1 CONNACK return codes (table 3.1) with their spec names. */
export const CONNACK_RETURN_CODES: readonly { readonly code: number; readonly name: string }[] = [
  { code: 0, name: 'Connection Accepted' },
  { code: 1, name: 'Connection Refused, unacceptable protocol version' },
  { code: 2, name: 'Connection Refused, identifier rejected' },
  { code: 3, name: 'Connection Refused, Server unavailable' },
  { code: 4, name: 'Connection Refused, bad user name or password' },
  { code: 5, name: 'Connection Refused, not authorized' },
];

/** The MQTT 3.1/3.1.1 CONNACK return codes by name (table 3.1), as RC names v5's. */
export const CONNACK_RC = {
  Accepted: 0, UnacceptableProtocolVersion: 1, IdentifierRejected: 2, ServerUnavailable: 3,
  BadUserNameOrPassword: 4, NotAuthorized: 5,
} as const;

/** The one MQTT 3.1.1 SUBACK failure return code [MQTT-3.9.3-2]. */
export const SUBACK_FAILURE = 0x80;

const CONNACK_TEXT = [
  'Connection Accepted.',
  'Connection Refused: unacceptable protocol version.',
  'Connection Refused: identifier rejected.',
  'Connection Refused: broker unavailable.',
  'Connection Refused: bad user name or password.',
  'Connection Refused: not authorised.',
];

/** libmosquitto `mosquitto_connack_string()` for a 3.1.1 return code. */
export function mosquittoConnackString(code: number): string {
  return CONNACK_TEXT[code] ?? 'Connection Refused: unknown reason.';
}

/** libmosquitto 2.0 `enum mosq_err_t` (include/mosquitto.h). */
export const MOSQ_ERR = {
  AUTH_CONTINUE: -4, NO_SUBSCRIBERS: -3, SUB_EXISTS: -2, CONN_PENDING: -1, SUCCESS: 0,
  NOMEM: 1, PROTOCOL: 2, INVAL: 3, NO_CONN: 4, CONN_REFUSED: 5, NOT_FOUND: 6, CONN_LOST: 7, TLS: 8,
  PAYLOAD_SIZE: 9, NOT_SUPPORTED: 10, AUTH: 11, ACL_DENIED: 12, UNKNOWN: 13, ERRNO: 14, EAI: 15,
  PROXY: 16, PLUGIN_DEFER: 17, MALFORMED_UTF8: 18, KEEPALIVE: 19, LOOKUP: 20, MALFORMED_PACKET: 21,
  DUPLICATE_PROPERTY: 22, TLS_HANDSHAKE: 23, QOS_NOT_SUPPORTED: 24, OVERSIZE_PACKET: 25, OCSP: 26,
  TIMEOUT: 27, RETAIN_NOT_SUPPORTED: 28, TOPIC_ALIAS_INVALID: 29, ADMINISTRATIVE_ACTION: 30,
  ALREADY_EXISTS: 31,
} as const;

// Codes 17, 21 and 27..31 have no case in 2.0's switch and fall to "Unknown error." — so
// mosquitto_sub's own -W timeout (27) never prints through strerror.
const STRERROR_TEXT: ReadonlyMap<number, string> = new Map([
  [MOSQ_ERR.AUTH_CONTINUE, 'Continue with authentication.'],
  [MOSQ_ERR.NO_SUBSCRIBERS, 'No subscribers.'],
  [MOSQ_ERR.SUB_EXISTS, 'Subscription already exists.'],
  [MOSQ_ERR.CONN_PENDING, 'Connection pending.'],
  [MOSQ_ERR.SUCCESS, 'No error.'],
  [MOSQ_ERR.NOMEM, 'Out of memory.'],
  [MOSQ_ERR.PROTOCOL, 'A network protocol error occurred when communicating with the broker.'],
  [MOSQ_ERR.INVAL, 'Invalid arguments provided.'],
  [MOSQ_ERR.NO_CONN, 'The client is not currently connected.'],
  [MOSQ_ERR.CONN_REFUSED, 'The connection was refused.'],
  [MOSQ_ERR.NOT_FOUND, 'Message not found (internal error).'],
  [MOSQ_ERR.CONN_LOST, 'The connection was lost.'],
  [MOSQ_ERR.TLS, 'A TLS error occurred.'],
  [MOSQ_ERR.PAYLOAD_SIZE, 'Payload too large.'],
  [MOSQ_ERR.NOT_SUPPORTED, 'This feature is not supported.'],
  [MOSQ_ERR.AUTH, 'Authorisation failed.'],
  [MOSQ_ERR.ACL_DENIED, 'Access denied by ACL.'],
  [MOSQ_ERR.UNKNOWN, 'Unknown error.'],
  [MOSQ_ERR.EAI, 'Lookup error.'],
  [MOSQ_ERR.PROXY, 'Proxy error.'],
  [MOSQ_ERR.MALFORMED_UTF8, 'Malformed UTF-8'],
  [MOSQ_ERR.KEEPALIVE, 'Keepalive exceeded'],
  [MOSQ_ERR.LOOKUP, 'DNS Lookup failed'],
  [MOSQ_ERR.DUPLICATE_PROPERTY, 'Duplicate property in property list'],
  [MOSQ_ERR.TLS_HANDSHAKE, 'TLS handshake failed.'],
  [MOSQ_ERR.QOS_NOT_SUPPORTED, 'Requested QoS not supported on server.'],
  [MOSQ_ERR.OVERSIZE_PACKET, 'Packet larger than supported by the server.'],
  [MOSQ_ERR.OCSP, 'OCSP error.'],
]);

/**
 * libmosquitto `mosquitto_strerror()`. MOSQ_ERR_ERRNO prints C's strerror(errno): pass that text
 * (see `errnoText`). Codes from 128 up are v5 reason codes and print their reason string.
 */
export function mosquittoStrerror(code: number, errnoMessage?: string): string {
  if (code === MOSQ_ERR.ERRNO) return errnoMessage ?? 'Unknown error.';
  const text = STRERROR_TEXT.get(code);
  if (text !== undefined) return text;
  return code >= 128 ? mosquittoReasonString(code) : 'Unknown error.';
}

// glibc strerror() texts for the errno values a Node socket or file error carries in `code`.
const GLIBC_STRERROR: Readonly<Record<string, string>> = {
  EPERM: 'Operation not permitted',
  ENOENT: 'No such file or directory',
  EACCES: 'Permission denied',
  EISDIR: 'Is a directory',
  ENOTDIR: 'Not a directory',
  EINVAL: 'Invalid argument',
  EMFILE: 'Too many open files',
  EPIPE: 'Broken pipe',
  EAFNOSUPPORT: 'Address family not supported by protocol',
  EADDRINUSE: 'Address already in use',
  EADDRNOTAVAIL: 'Cannot assign requested address',
  ENETDOWN: 'Network is down',
  ENETUNREACH: 'Network is unreachable',
  ECONNABORTED: 'Software caused connection abort',
  ECONNRESET: 'Connection reset by peer',
  ETIMEDOUT: 'Connection timed out',
  ECONNREFUSED: 'Connection refused',
  EHOSTDOWN: 'Host is down',
  EHOSTUNREACH: 'No route to host',
};

/** What C's strerror() prints for a Node error code such as 'ECONNREFUSED' (undefined if unknown). */
export function errnoText(code: string): string | undefined {
  return GLIBC_STRERROR[code];
}
