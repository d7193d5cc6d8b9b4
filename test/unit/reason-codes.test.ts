import { describe, expect, it } from 'vitest';
import {
  errnoText,
  isReasonCodeAllowed,
  MOSQ_ERR,
  mosquittoConnackString,
  mosquittoReasonString,
  mosquittoStrerror,
  RC,
  reasonCodeName,
  REASON_CODES,
} from '../../src/core/protocol/reason-codes.js';

// mosquitto_reason_string() in Mosquitto 2.0 lib/strings_mosq.c, case by case.
const MOSQUITTO_REASON: [number, string][] = [
  [0, 'Success'], [1, 'Granted QoS 1'], [2, 'Granted QoS 2'], [4, 'Disconnect with Will Message'],
  [16, 'No matching subscribers'], [17, 'No subscription existed'], [24, 'Continue authentication'],
  [25, 'Re-authenticate'], [128, 'Unspecified error'], [129, 'Malformed Packet'], [130, 'Protocol Error'],
  [131, 'Implementation specific error'], [132, 'Unsupported Protocol Version'], [133, 'Client Identifier not valid'],
  [134, 'Bad User Name or Password'], [135, 'Not authorized'], [136, 'Server unavailable'], [137, 'Server busy'],
  [138, 'Banned'], [139, 'Server shutting down'], [140, 'Bad authentication method'], [141, 'Keep Alive timeout'],
  [142, 'Session taken over'], [143, 'Topic Filter invalid'], [144, 'Topic Name invalid'],
  [145, 'Packet Identifier in use'], [146, 'Packet Identifier not found'], [147, 'Receive Maximum exceeded'],
  [148, 'Topic Alias invalid'], [149, 'Packet too large'], [150, 'Message rate too high'], [151, 'Quota exceeded'],
  [152, 'Administrative action'], [153, 'Payload format invalid'], [154, 'Retain not supported'],
  [155, 'QoS not supported'], [156, 'Use another server'], [157, 'Server moved'],
  [158, 'Shared Subscriptions not supported'], [159, 'Connection rate exceeded'], [160, 'Maximum connect time'],
  [161, 'Subscription identifiers not supported'], [162, 'Wildcard Subscriptions not supported'],
  [3, 'Unknown reason'], [127, 'Unknown reason'], [163, 'Unknown reason'], [255, 'Unknown reason'],
];

// mosquitto_strerror() in Mosquitto 2.0.x (2.0.16 and later carry the KEEPALIVE/LOOKUP cases).
const MOSQUITTO_STRERROR: [number, string][] = [
  [-4, 'Continue with authentication.'], [-3, 'No subscribers.'], [-2, 'Subscription already exists.'],
  [-1, 'Connection pending.'], [0, 'No error.'], [1, 'Out of memory.'],
  [2, 'A network protocol error occurred when communicating with the broker.'], [3, 'Invalid arguments provided.'],
  [4, 'The client is not currently connected.'], [5, 'The connection was refused.'],
  [6, 'Message not found (internal error).'], [7, 'The connection was lost.'], [8, 'A TLS error occurred.'],
  [9, 'Payload too large.'], [10, 'This feature is not supported.'], [11, 'Authorisation failed.'],
  [12, 'Access denied by ACL.'], [13, 'Unknown error.'], [15, 'Lookup error.'], [16, 'Proxy error.'],
  [17, 'Unknown error.'], [18, 'Malformed UTF-8'], [19, 'Keepalive exceeded'], [20, 'DNS Lookup failed'],
  [21, 'Unknown error.'], [22, 'Duplicate property in property list'], [23, 'TLS handshake failed.'],
  [24, 'Requested QoS not supported on server.'], [25, 'Packet larger than supported by the server.'],
  [26, 'OCSP error.'], [27, 'Unknown error.'], [31, 'Unknown error.'], [-5, 'Unknown error.'],
  // from 128 up the code is a v5 reason code
  [135, 'Not authorized'], [128, 'Unspecified error'], [200, 'Unknown reason'],
];

describe('MQTT 5 reason codes (table 2-6)', () => {
  it.each(MOSQUITTO_REASON)('mosquitto_reason_string(%i) is "%s"', (code, text) => {
    expect(mosquittoReasonString(code)).toBe(text);
  });

  it('names code 0 after the packet it is in', () => {
    expect(reasonCodeName(0, 'connack')).toBe('Success');
    expect(reasonCodeName(0, 'disconnect')).toBe('Normal disconnection');
    expect(reasonCodeName(0, 'suback')).toBe('Granted QoS 0');
    expect(reasonCodeName(0xa1)).toBe('Subscription Identifiers not supported');
    expect(reasonCodeName(0x03)).toBeUndefined();
  });

  const allowed: [Parameters<typeof isReasonCodeAllowed>[0], number, boolean][] = [
    ['suback', RC.GrantedQoS2, true],
    ['puback', RC.GrantedQoS1, false],
    ['disconnect', RC.DisconnectWithWillMessage, true],
    ['connack', RC.DisconnectWithWillMessage, false],
    ['pubrel', RC.PacketIdentifierNotFound, true],
    ['puback', RC.PacketIdentifierNotFound, false],
    ['connack', RC.ProtocolError, true],
    ['puback', RC.ProtocolError, false],
    ['unsuback', RC.NoSubscriptionExisted, true],
    ['auth', RC.ReAuthenticate, true],
    ['connack', RC.ServerShuttingDown, false],
    ['suback', RC.WildcardSubscriptionsNotSupported, true],
  ];
  it.each(allowed)('%s may carry reason code %i: %s', (packet, code, ok) => {
    expect(isReasonCodeAllowed(packet, code)).toBe(ok);
  });

  it('gives every named constant a table row', () => {
    for (const [key, code] of Object.entries(RC)) {
      expect(REASON_CODES.some((r) => r.code === code), key).toBe(true);
    }
  });
});

describe('MQTT 3.1.1 CONNACK return codes', () => {
  it.each([
    [0, 'Connection Accepted.'],
    [1, 'Connection Refused: unacceptable protocol version.'],
    [2, 'Connection Refused: identifier rejected.'],
    [3, 'Connection Refused: broker unavailable.'],
    [4, 'Connection Refused: bad user name or password.'],
    [5, 'Connection Refused: not authorised.'],
    [6, 'Connection Refused: unknown reason.'],
    [-1, 'Connection Refused: unknown reason.'],
  ])('mosquitto_connack_string(%i) is "%s"', (code, text) => {
    expect(mosquittoConnackString(code)).toBe(text);
  });
});

describe('libmosquitto error numbers', () => {
  it.each(MOSQUITTO_STRERROR)('mosquitto_strerror(%i) is "%s"', (code, text) => {
    expect(mosquittoStrerror(code)).toBe(text);
  });

  it('prints strerror(errno) for MOSQ_ERR_ERRNO', () => {
    expect(MOSQ_ERR.ERRNO).toBe(14);
    expect(mosquittoStrerror(MOSQ_ERR.ERRNO, errnoText('ECONNREFUSED'))).toBe('Connection refused');
    expect(errnoText('ECONNRESET')).toBe('Connection reset by peer');
    expect(errnoText('EWHATEVER')).toBeUndefined();
  });

  it('numbers the errors as include/mosquitto.h does', () => {
    expect([MOSQ_ERR.CONN_LOST, MOSQ_ERR.DUPLICATE_PROPERTY, MOSQ_ERR.TIMEOUT, MOSQ_ERR.ALREADY_EXISTS])
      .toEqual([7, 22, 27, 31]);
  });
});
