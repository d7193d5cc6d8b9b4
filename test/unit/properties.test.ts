import { createRequire } from 'node:module';
import mqttPacket from 'mqtt-packet';
import { describe, expect, it } from 'vitest';
import {
  checkPropertiesAllowed,
  findRepeatedProperties,
  PROPERTIES,
  PROPERTY_BY_ID,
  propertyByName,
  type PropertyPacket,
} from '../../src/core/protocol/properties.js';

const require = createRequire(import.meta.url);
const mqttConstants = require('mqtt-packet/constants.js') as {
  properties: Record<string, number>;
  propertiesTypes: Record<string, string>;
};

// MQTT 5.0 table 2-4, written out again so a slip in the source table shows up here.
const SPEC: [number, string, string, string][] = [
  [0x01, 'payload-format-indicator', 'byte', 'publish will'],
  [0x02, 'message-expiry-interval', 'four-byte-int', 'publish will'],
  [0x03, 'content-type', 'utf8-string', 'publish will'],
  [0x08, 'response-topic', 'utf8-string', 'publish will'],
  [0x09, 'correlation-data', 'binary', 'publish will'],
  [0x0b, 'subscription-identifier', 'varint', 'publish subscribe'],
  [0x11, 'session-expiry-interval', 'four-byte-int', 'connect connack disconnect'],
  [0x12, 'assigned-client-identifier', 'utf8-string', 'connack'],
  [0x13, 'server-keep-alive', 'two-byte-int', 'connack'],
  [0x15, 'authentication-method', 'utf8-string', 'connect connack auth'],
  [0x16, 'authentication-data', 'binary', 'connect connack auth'],
  [0x17, 'request-problem-information', 'byte', 'connect'],
  [0x18, 'will-delay-interval', 'four-byte-int', 'will'],
  [0x19, 'request-response-information', 'byte', 'connect'],
  [0x1a, 'response-information', 'utf8-string', 'connack'],
  [0x1c, 'server-reference', 'utf8-string', 'connack disconnect'],
  [0x1f, 'reason-string', 'utf8-string', 'connack puback pubrec pubrel pubcomp suback unsuback disconnect auth'],
  [0x21, 'receive-maximum', 'two-byte-int', 'connect connack'],
  [0x22, 'topic-alias-maximum', 'two-byte-int', 'connect connack'],
  [0x23, 'topic-alias', 'two-byte-int', 'publish'],
  [0x24, 'maximum-qos', 'byte', 'connack'],
  [0x25, 'retain-available', 'byte', 'connack'],
  [0x26, 'user-property', 'string-pair',
    'connect connack publish will puback pubrec pubrel pubcomp subscribe suback unsubscribe unsuback disconnect auth'],
  [0x27, 'maximum-packet-size', 'four-byte-int', 'connect connack'],
  [0x28, 'wildcard-subscription-available', 'byte', 'connack'],
  [0x29, 'subscription-identifier-available', 'byte', 'connack'],
  [0x2a, 'shared-subscription-available', 'byte', 'connack'],
];

const CODEC_TYPE: Record<string, string[]> = {
  'byte': ['byte', 'int8'],
  'two-byte-int': ['int16'],
  'four-byte-int': ['int32'],
  'varint': ['var'],
  'utf8-string': ['string'],
  'binary': ['binary'],
  'string-pair': ['pair'],
};

function roundTrip(packet: object): Record<string, unknown> {
  const bytes = mqttPacket.generate(packet as mqttPacket.Packet, { protocolVersion: 5 });
  const parser = mqttPacket.parser({ protocolVersion: 5 });
  let out: Record<string, unknown> | undefined;
  parser.on('packet', (p) => (out = p as unknown as Record<string, unknown>));
  parser.on('error', (e) => {
    throw e;
  });
  parser.parse(bytes);
  if (!out) throw new Error('no packet parsed');
  return out;
}

describe('property table', () => {
  it('has exactly the 27 properties of table 2-4', () => {
    expect(PROPERTIES.map((p) => p.id)).toEqual(SPEC.map(([id]) => id));
  });

  it.each(SPEC)('id %i: %s is a %s carried by %s', (id, name, type, packets) => {
    const info = PROPERTY_BY_ID.get(id)!;
    expect(info.name).toBe(name);
    expect(info.type).toBe(type);
    expect([...info.packets].sort()).toEqual(packets.split(' ').sort());
  });

  it.each(PROPERTIES.map((p) => [p.key, p] as const))('%s is the key and type mqtt-packet uses', (key, info) => {
    expect(mqttConstants.properties[key]).toBe(info.id);
    expect(CODEC_TYPE[info.type]).toContain(mqttConstants.propertiesTypes[key]);
    // booleans are exactly the properties mqtt-packet types as 'byte'
    expect(info.boolean).toBe(mqttConstants.propertiesTypes[key] === 'byte');
  });

  it('uses keys that survive an mqtt-packet round trip in CONNACK', () => {
    const properties = {
      sessionExpiryInterval: 10, receiveMaximum: 5, maximumQoS: 1, retainAvailable: true, maximumPacketSize: 1000,
      assignedClientIdentifier: 'id', topicAliasMaximum: 3, reasonString: 'r', userProperties: { a: 'b' },
      wildcardSubscriptionAvailable: false, subscriptionIdentifiersAvailable: true, sharedSubscriptionAvailable: true,
      serverKeepAlive: 30, responseInformation: 'ri', serverReference: 'sr', authenticationMethod: 'm',
      authenticationData: Buffer.from('d'),
    };
    expect(checkPropertiesAllowed('connack', properties)).toEqual([]);
    const parsed = roundTrip({ cmd: 'connack', sessionPresent: false, reasonCode: 0, properties });
    expect(parsed.properties).toEqual(properties);
  });

  it("uses keys that survive an mqtt-packet round trip in a will's properties", () => {
    const properties = {
      willDelayInterval: 5, payloadFormatIndicator: true, messageExpiryInterval: 60, contentType: 'text/plain',
      responseTopic: 'r/t', correlationData: Buffer.from('c'), userProperties: { k: ['v1', 'v2'] },
    };
    expect(checkPropertiesAllowed('will', properties)).toEqual([]);
    const parsed = roundTrip({
      cmd: 'connect', protocolVersion: 5, clientId: 'c', clean: true, keepalive: 0,
      will: { topic: 't', payload: Buffer.from('p'), qos: 0, retain: false, properties },
    });
    expect((parsed.will as { properties: unknown }).properties).toEqual(properties);
  });

  it('finds properties by name regardless of ASCII case, like strcasecmp', () => {
    expect(propertyByName('Message-Expiry-INTERVAL')?.id).toBe(0x02);
    expect(propertyByName('message_expiry_interval')).toBeUndefined();
    // no Unicode case folding: U+212A KELVIN SIGN is not 'k'
    expect(propertyByName('topic-alias-ma\u212Aimum')).toBeUndefined();
  });
});

describe('checkPropertiesAllowed', () => {
  const cases: [PropertyPacket, Record<string, unknown>, string[]][] = [
    ['publish', { payloadFormatIndicator: true, topicAlias: 1, userProperties: { a: 'b' } }, []],
    ['publish', { sessionExpiryInterval: 1, willDelayInterval: 2 }, ['sessionExpiryInterval', 'willDelayInterval']],
    ['will', { willDelayInterval: 2, topicAlias: 3 }, ['topicAlias']],
    ['connect', { willDelayInterval: 2, receiveMaximum: 3 }, ['willDelayInterval']],
    ['connect', { reasonString: 'x' }, ['reasonString']],
    ['subscribe', { subscriptionIdentifier: 4, reasonString: 'x' }, ['reasonString']],
    ['unsubscribe', { subscriptionIdentifier: 4 }, ['subscriptionIdentifier']],
    ['disconnect', { sessionExpiryInterval: 0, serverReference: 's', reasonString: 'r' }, []],
    ['auth', { authenticationMethod: 'm', authenticationData: Buffer.alloc(1), reasonString: 'r' }, []],
    ['puback', { reasonString: 'r', contentType: 'c' }, ['contentType']],
    ['connack', { noSuchProperty: 1 }, ['noSuchProperty']],
    // undefined is skipped by mqtt-packet's encoder, so it is not a property on the wire
    ['publish', { sessionExpiryInterval: undefined }, []],
  ];
  it.each(cases)('%s with %o -> %o', (packet, props, illegal) => {
    expect(checkPropertiesAllowed(packet, props)).toEqual(illegal);
  });

  it('accepts a missing properties object', () => {
    expect(checkPropertiesAllowed('publish', undefined)).toEqual([]);
  });
});

describe('findRepeatedProperties', () => {
  it('allows several subscription identifiers only in PUBLISH', () => {
    expect(findRepeatedProperties('publish', { subscriptionIdentifier: [1, 2] })).toEqual([]);
    expect(findRepeatedProperties('subscribe', { subscriptionIdentifier: [1, 2] })).toEqual(['subscriptionIdentifier']);
  });
  it('flags any other property that arrives twice, but never user properties', () => {
    expect(findRepeatedProperties('publish', {
      contentType: ['a', 'b'], topicAlias: 3, userProperties: { k: ['1', '2'] },
    })).toEqual(['contentType']);
  });
});
