import mqttPacket from 'mqtt-packet';
import { describe, expect, it } from 'vitest';
import { UsageError, userFacing } from '../../src/cli/errors.js';
import {
  atol,
  parsePropertyOption,
  parsePropertyOptions,
  PROPERTY_OPTION_HELP,
  PropertyOptionError,
  propertyOptionArity,
} from '../../src/cli/property-option.js';

/** The line mosquitto 2.0 prints for these -D groups, or undefined when they are accepted. */
function errorLine(groups: string[][], sessionExpiryInterval?: number): string | undefined {
  try {
    parsePropertyOptions(groups, { sessionExpiryInterval });
    return undefined;
  } catch (err) {
    if (!(err instanceof PropertyOptionError)) throw err;
    return err.line;
  }
}

describe('-D parsing: accepted groups', () => {
  const cases: [string, string[][], object][] = [
    ['an int32', [['publish', 'message-expiry-interval', '32']], { publish: { messageExpiryInterval: 32 } }],
    ['names and commands in any ASCII case', [['PUBLISH', 'Content-Type', 'text/plain']], { publish: { contentType: 'text/plain' } }],
    ['a byte as a boolean, as mqtt-packet wants', [['publish', 'payload-format-indicator', '1']], { publish: { payloadFormatIndicator: true } }],
    ['a zero byte', [['connect', 'request-problem-information', '0']], { connect: { requestProblemInformation: false } }],
    ['an int16 at its maximum', [['publish', 'topic-alias', '65535']], { publish: { topicAlias: 65535 } }],
    ['a varint', [['subscribe', 'subscription-identifier', '268435455']], { subscribe: { subscriptionIdentifier: 268435455 } }],
    ['a will property', [['will', 'will-delay-interval', '30']], { will: { willDelayInterval: 30 } }],
    // mosquitto_property_check_command() lets a will carry reason-string, unlike table 2-4
    ['reason-string on the will, as mosquitto allows', [['will', 'reason-string', 'r']], { will: { reasonString: 'r' } }],
    ['disconnect properties', [['disconnect', 'session-expiry-interval', '0'], ['disconnect', 'reason-string', 'bye']],
      { disconnect: { sessionExpiryInterval: 0, reasonString: 'bye' } }],
    ['an unsubscribe user property', [['unsubscribe', 'user-property', 'k', 'v']], { unsubscribe: { userProperties: { k: 'v' } } }],
    ['repeated user properties, in order', [
      ['connect', 'user-property', 'k', '1'], ['connect', 'user-property', 'j', '2'], ['connect', 'USER-PROPERTY', 'k', '3'],
    ], { connect: { userProperties: { k: ['1', '3'], j: '2' } } }],
    ["a user property value with control characters (mosquitto doesn't check values)",
      [['publish', 'user-property', 'k', 'a\tb']], { publish: { userProperties: { k: 'a\tb' } } }],
    ['an empty string', [['publish', 'content-type', '']], { publish: { contentType: '' } }],
    // atol(): leading blanks and sign, digits up to the first other character, no digits = 0
    ['atol stops at the first non-digit', [['publish', 'message-expiry-interval', ' 42abc']], { publish: { messageExpiryInterval: 42 } }],
    ['atol reads no hex', [['publish', 'message-expiry-interval', '0x10']], { publish: { messageExpiryInterval: 0 } }],
    ['atol of a word is 0', [['connect', 'session-expiry-interval', 'never']], { connect: { sessionExpiryInterval: 0 } }],
    ['atol takes a plus sign', [['connect', 'topic-alias-maximum', '+7']], { connect: { topicAliasMaximum: 7 } }],
    ['nothing at all', [], {}],
  ];
  it.each(cases)('%s', (_label, groups, expected) => {
    expect(parsePropertyOptions(groups)).toEqual(expected);
  });

  it('takes binary values as the bytes of the argument', () => {
    const props = parsePropertyOptions([['publish', 'correlation-data', 'r\u00e9q-1'], ['connect', 'authentication-data', '']]);
    expect(props.publish?.correlationData).toEqual(Buffer.from([0x72, 0xc3, 0xa9, 0x71, 0x2d, 0x31]));
    expect(props.connect?.authenticationData).toEqual(Buffer.alloc(0));
  });

  it('keeps a user property named __proto__ as data', () => {
    const props = parsePropertyOptions([['publish', 'user-property', '__proto__', 'x']]);
    expect(Object.keys(props.publish!.userProperties as object)).toEqual(['__proto__']);
  });

  it('produces properties mqtt-packet encodes', () => {
    const props = parsePropertyOptions([
      ['publish', 'payload-format-indicator', '1'], ['publish', 'correlation-data', 'c'],
      ['publish', 'user-property', 'k', 'a'], ['publish', 'user-property', 'k', 'b'], ['publish', 'topic-alias', '3'],
      ['will', 'will-delay-interval', '9'], ['will', 'content-type', 't'],
    ]);
    const publish = mqttPacket.generate(
      { cmd: 'publish', topic: 't', payload: '', qos: 0, dup: false, retain: false, properties: props.publish },
      { protocolVersion: 5 },
    );
    // after the fixed header and topic "t": properties length 23, PFI, correlation data,
    // two user properties, topic alias
    expect(publish.subarray(5).toString('hex')).toBe(
      '17' + '0101' + '09000163' + '2600016b000161' + '2600016b000162' + '230003',
    );
    const connect = mqttPacket.generate({
      cmd: 'connect', protocolVersion: 5, clientId: '', clean: true, keepalive: 0,
      will: { topic: 'w', payload: Buffer.alloc(0), properties: props.will },
    }, { protocolVersion: 5 });
    expect(connect.toString('hex')).toContain('09' + '1800000009' + '03000174');
  });
});

describe('-D parsing: mosquitto 2.0 error lines', () => {
  const cases: [string, string[][], string][] = [
    ['too few words', [['publish', 'content-type']], 'Error: --property argument given but not enough arguments specified.'],
    ['a user property without a value', [['connect', 'user-property', 'k']],
      'Error: --property argument given but not enough arguments specified.'],
    ['an unknown command, as typed', [['Bogus', 'content-type', 'x']], 'Error: Invalid command Bogus given in --property argument.'],
    ['suback, which 2.0 does not know', [['suback', 'reason-string', 'x']], 'Error: Invalid command suback given in --property argument.'],
    ['an unknown property, as typed', [['publish', 'Content_Type', 'x']],
      'Error: Invalid property name Content_Type given in --property argument.'],
    ['a property the command may not carry', [['Publish', 'Will-Delay-Interval', '5']],
      'Error: Will-Delay-Interval property not allowed for Publish in --property argument.'],
    ['a connack-only property on connect', [['connect', 'maximum-qos', '1']],
      'Error: maximum-qos property not allowed for connect in --property argument.'],
    ['topic-alias on the will', [['will', 'topic-alias', '1']], 'Error: topic-alias property not allowed for will in --property argument.'],
    ['reason-string on connect', [['connect', 'reason-string', 'x']], 'Error: reason-string property not allowed for connect in --property argument.'],
    ['content-type on pubrel', [['pubrel', 'content-type', 'x']], 'Error: content-type property not allowed for pubrel in --property argument.'],
    ['subscription-identifier on publish', [['publish', 'subscription-identifier', '1']],
      'Error: subscription-identifier property not supported for publish in --property argument.'],
    ['the auth command', [['auth', 'authentication-method', 'x']],
      'Error: authentication-method property not supported for auth in --property argument.'],
    ['an ack command', [['PUBACK', 'reason-string', 'x']], 'Error: reason-string property not supported for PUBACK in --property argument.'],
    ['connack with a property it may carry (mosquitto prints nothing)', [['connack', 'reason-string', 'x']], ''],
    ['negative', [['connect', 'receive-maximum', '-5']], 'Error: Property value (-5) out of range for property receive-maximum.'],
    ['int16 overflow', [['connect', 'receive-maximum', '65536']], 'Error: Property value (65536) out of range for property receive-maximum.'],
    ['byte overflow', [['publish', 'Payload-Format-Indicator', '256']],
      'Error: Property value (256) out of range for property Payload-Format-Indicator.'],
    ['int32 overflow', [['publish', 'message-expiry-interval', '4294967296']],
      'Error: Property value (4294967296) out of range for property message-expiry-interval.'],
    ['atol saturates at LONG_MAX', [['publish', 'message-expiry-interval', '99999999999999999999']],
      'Error: Property value (9223372036854775807) out of range for property message-expiry-interval.'],
    ['atol saturates at LONG_MIN', [['publish', 'message-expiry-interval', '-99999999999999999999']],
      'Error: Property value (-9223372036854775808) out of range for property message-expiry-interval.'],
    ['varint over 32 bits', [['subscribe', 'subscription-identifier', '4294967296']],
      'Error: Property value (4294967296) out of range for property subscription-identifier.'],
    ['varint over 268435455 (mosquitto_property_add_varint fails)', [['subscribe', 'subscription-identifier', '268435456']],
      'Error adding property subscription-identifier 4'],
    ['binary over 65535 bytes', [['publish', 'correlation-data', 'x'.repeat(65536)]],
      'Error: Property value too long for property correlation-data.'],
    ['a string with a control character (mosquitto_validate_utf8)', [['publish', 'content-type', 'a\tb']],
      'Error adding property content-type 6'],
    ['a string with a non-character', [['publish', 'response-topic', 'a\ufffe']], 'Error adding property response-topic 6'],
    ['a string over 65535 bytes', [['publish', 'response-topic', 'x'.repeat(65536)]], 'Error adding property response-topic 6'],
    ['a user property name with a control character', [['connect', 'user-property', 'k\u0001', 'v']],
      'Error adding property user-property 7'],
    // the checks mosquitto runs after all options are read
    ['a duplicate', [['publish', 'content-type', 'a'], ['publish', 'Content-Type', 'b']],
      'Error in PUBLISH properties: Duplicate property in property list'],
    ['payload-format-indicator above 1', [['publish', 'payload-format-indicator', '2']],
      'Error in PUBLISH properties: A network protocol error occurred when communicating with the broker.'],
    ['receive-maximum 0', [['connect', 'receive-maximum', '0']],
      'Error in CONNECT properties: A network protocol error occurred when communicating with the broker.'],
    ['maximum-packet-size 0', [['connect', 'maximum-packet-size', '0']],
      'Error in CONNECT properties: A network protocol error occurred when communicating with the broker.'],
    ['topic-alias 0', [['publish', 'topic-alias', '0']],
      'Error in PUBLISH properties: A network protocol error occurred when communicating with the broker.'],
    ['a bad will value', [['will', 'payload-format-indicator', '5']],
      'Error in Will properties: A network protocol error occurred when communicating with the broker.'],
    ['a duplicate subscription identifier', [['subscribe', 'subscription-identifier', '1'], ['subscribe', 'subscription-identifier', '2']],
      'Error in SUBSCRIBE properties: Duplicate property in property list'],
    ['a duplicate on disconnect', [['disconnect', 'reason-string', '1'], ['disconnect', 'reason-string', '2']],
      'Error in DISCONNECT properties: Duplicate property in property list'],
    // check_all walks the list in order: validity of an entry, then its duplicates
    ['a zero before its duplicate', [['publish', 'topic-alias', '0'], ['publish', 'topic-alias', '5']],
      'Error in PUBLISH properties: A network protocol error occurred when communicating with the broker.'],
    ['a duplicate before a zero', [['publish', 'topic-alias', '5'], ['publish', 'topic-alias', '0']],
      'Error in PUBLISH properties: Duplicate property in property list'],
    // lists are checked CONNECT, PUBLISH, SUBSCRIBE, UNSUBSCRIBE, DISCONNECT, Will
    ['CONNECT before PUBLISH', [['publish', 'topic-alias', '0'], ['connect', 'receive-maximum', '0']],
      'Error in CONNECT properties: A network protocol error occurred when communicating with the broker.'],
    // a per-option error stops at the first bad group, before the final checks
    ['the first bad group wins', [['publish', 'topic-alias', '0'], ['bogus', 'x', 'y']],
      'Error: Invalid command bogus given in --property argument.'],
  ];
  it.each(cases)('%s', (_label, groups, line) => {
    expect(errorLine(groups)).toBe(line);
  });

  it('reports -x and -D connect session-expiry-interval together as a duplicate', () => {
    expect(errorLine([['connect', 'session-expiry-interval', '5']], 10))
      .toBe('Error in CONNECT properties: Duplicate property in property list');
    expect(errorLine([['connect', 'receive-maximum', '5']], 10)).toBeUndefined();
    // -x alone is carried by ClientConfig.sessionExpiry, not copied into the properties
    expect(parsePropertyOptions([], { sessionExpiryInterval: 10 })).toEqual({});
  });

  it('throws a UsageError whose message drops only a leading "Error: "', () => {
    const thrown = (group: string[]) => {
      try {
        parsePropertyOption(group);
      } catch (err) {
        return err as PropertyOptionError;
      }
      throw new Error('no error');
    };
    const err = thrown(['bogus', 'x', 'y']);
    expect(err).toBeInstanceOf(UsageError);
    expect(userFacing(err)?.exitCode).toBe(1);
    expect(err.message).toBe('Invalid command bogus given in --property argument.');
    expect(thrown(['subscribe', 'subscription-identifier', '268435456']).message)
      .toBe('Error adding property subscription-identifier 4');
  });
});

describe('-D helpers', () => {
  it.each([
    [['publish', 'content-type', 'x', 'next'], 0, 3],
    [['publish', 'User-Property', 'k', 'v'], 0, 4],
    [['-t', 't', 'connect', 'user-property', 'k', 'v'], 2, 4],
    [['connect'], 0, 3],
  ] as const)('propertyOptionArity(%j, %i) is %i', (args, start, n) => {
    expect(propertyOptionArity(args, start)).toBe(n);
  });

  it.each([
    ['42', 42n], ['  -7x', -7n], ['\t+3', 3n], ['', 0n], ['-', 0n], ['x1', 0n], ['1e9', 1n],
    ['9223372036854775808', 9223372036854775807n], ['-9223372036854775809', -9223372036854775808n],
  ])('atol(%j) is %s', (s, n) => {
    expect(atol(s)).toBe(n);
  });

  it('documents the syntax and the properties of each command', () => {
    expect(PROPERTY_OPTION_HELP).toContain('-D, --property <command> user-property <key> <value>');
    expect(PROPERTY_OPTION_HELP).toContain(
      '  publish: content-type, correlation-data, message-expiry-interval, payload-format-indicator, response-topic, topic-alias, user-property',
    );
    expect(PROPERTY_OPTION_HELP).toContain('  subscribe: subscription-identifier, user-property');
    expect(PROPERTY_OPTION_HELP).toContain(
      '  will: content-type, correlation-data, message-expiry-interval, payload-format-indicator, response-topic, user-property, will-delay-interval',
    );
  });
});
