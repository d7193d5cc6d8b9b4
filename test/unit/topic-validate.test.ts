import { describe, expect, it } from 'vitest';
import {
  MAX_TOPIC_BYTES,
  parseSharedSubscription,
  validateTopicFilter,
  validateTopicName,
  validateUtf8,
  validateUtf8String,
} from '../../src/core/topic/validate.js';

const ok = null;

describe('validateTopicName', () => {
  const cases: [string, string, string | null][] = [
    ['plain', 'sport/tennis/player1', ok],
    ['single level', 'a', ok],
    ['only a separator (two empty levels)', '/', ok],
    ['empty levels', 'a//b/', ok],
    ['a space', 'with space', ok],
    ['a $ topic', '$SYS/broker/uptime', ok],
    ['[MQTT-4.7.1-1] + in a name', 'a/+/b', "must not contain the wildcards '+' or '#'"],
    ['[MQTT-4.7.1-1] # in a name', 'a/#', "must not contain the wildcards '+' or '#'"],
    ['[MQTT-4.7.1-1] + inside a level', 'a+b', "must not contain the wildcards '+' or '#'"],
    ['[MQTT-4.7.3-1] empty', '', 'must not be empty'],
    ['[MQTT-4.7.3-2] null character', 'a\u0000b', 'contains the null character U+0000'],
    ['[MQTT-1.5.4-1] lone surrogate', 'a\ud800', 'lone UTF-16 surrogate at index 1'],
    ['astral character', 'a/\u{1F600}', ok],
  ];
  it.each(cases)('%s: %j', (_label, topic, expected) => {
    expect(validateTopicName(topic)).toBe(expected);
  });

  it('[MQTT-4.7.3-3] allows 65535 bytes and refuses 65536', () => {
    expect(validateTopicName('a'.repeat(MAX_TOPIC_BYTES))).toBeNull();
    expect(validateTopicName('a'.repeat(MAX_TOPIC_BYTES + 1))).toBe('longer than 65535 bytes');
    // counted in UTF-8 bytes, not characters: 21845 * 3 = 65535, one more é (2 bytes) is too long
    expect(validateTopicName('\u20ac'.repeat(21845))).toBeNull();
    expect(validateTopicName('\u20ac'.repeat(21845) + '\u00e9')).toBe('longer than 65535 bytes');
  });
});

describe('validateTopicFilter', () => {
  const plusErr = "'+' must occupy an entire topic level";
  const hashErr = "'#' must be the last character, alone in its topic level";
  const cases: [string, string, string | null][] = [
    ['[MQTT-4.7.1-2] # alone', '#', ok],
    ['[MQTT-4.7.1-2] # after a separator', 'sport/tennis/#', ok],
    ['[MQTT-4.7.1-2] # after an empty level', '/#', ok],
    ['[MQTT-4.7.1-2] # must be last', 'sport/#/ranking', hashErr],
    ['[MQTT-4.7.1-2] # must follow a separator', 'sport/tennis#', hashErr],
    ['[MQTT-4.7.1-2] # twice', '#/#', hashErr],
    ['[MQTT-4.7.1-2] # before a trailing separator', 'a/#/', hashErr],
    ['[MQTT-4.7.1-3] + alone', '+', ok],
    ['[MQTT-4.7.1-3] + at first, middle and last level', '+/tennis/+/x/+', ok],
    ['[MQTT-4.7.1-3] + with #', '+/+/#', ok],
    ['[MQTT-4.7.1-3] + must be a whole level', 'sport+', plusErr],
    ['[MQTT-4.7.1-3] + must be a whole level (prefix)', 'sport/+tennis', plusErr],
    ['[MQTT-4.7.1-3] ++', 'a/++', plusErr],
    ['plain filter', 'a/b/c', ok],
    ['[MQTT-4.7.3-1] empty', '', 'must not be empty'],
    ['[MQTT-4.7.3-2] null character', '#\u0000', 'contains the null character U+0000'],
  ];
  it.each(cases)('%s: %j', (_label, filter, expected) => {
    expect(validateTopicFilter(filter)).toBe(expected);
  });

  it('[MQTT-4.7.3-3] allows 65535 bytes and refuses 65536', () => {
    expect(validateTopicFilter('a/'.repeat(32767) + '#')).toBeNull();
    expect(validateTopicFilter('a/'.repeat(32767) + '+/')).toBe('longer than 65535 bytes');
  });

  it('checks $share syntax only when asked (MQTT 5)', () => {
    expect(validateTopicFilter('$share//a')).toBeNull();
    expect(validateTopicFilter('$share//a', { shared: true })).toBe('shared subscription needs a non-empty share name');
    expect(validateTopicFilter('$share/g/a/#', { shared: true })).toBeNull();
    expect(validateTopicFilter('$sharex/a', { shared: true })).toBeNull();
  });
});

describe('parseSharedSubscription', () => {
  const cases: [string, string, ReturnType<typeof parseSharedSubscription>][] = [
    ['not shared', 'a/b', null],
    ['$share without a slash is an ordinary filter', '$share', null],
    ['shared', '$share/group/sport/+/x', { shareName: 'group', filter: 'sport/+/x' }],
    ['shared on #', '$share/g/#', { shareName: 'g', filter: '#' }],
    ['[MQTT-4.8.2-1] empty share name', '$share//a', { error: 'shared subscription needs a non-empty share name' }],
    ['[MQTT-4.8.2-1] nothing after $share/', '$share/', { error: 'shared subscription needs a non-empty share name' }],
    ['[MQTT-4.8.2-2] + in share name', '$share/g+/a', { error: "share name must not contain '+' or '#'" }],
    ['[MQTT-4.8.2-2] # as share name', '$share/#', { error: "share name must not contain '+' or '#'" }],
    ['[MQTT-4.8.2-2] no / after the share name', '$share/group',
      { error: "shared subscription needs '/' and a topic filter after the share name" }],
    ['[MQTT-4.8.2-2] / must be followed by a filter', '$share/group/', { error: 'shared subscription topic filter must not be empty' }],
    ['inner filter is validated', '$share/g/a#', {
      error: "shared subscription topic filter '#' must be the last character, alone in its topic level",
    }],
  ];
  it.each(cases)('%s: %j', (_label, filter, expected) => {
    expect(parseSharedSubscription(filter)).toEqual(expected);
  });
});

describe('validateUtf8 on raw bytes', () => {
  const b = (...bytes: number[]) => Uint8Array.from(bytes);
  const cases: [string, Uint8Array, string | null][] = [
    ['ASCII', b(0x61, 0x2f, 0x62), ok],
    ['2, 3 and 4 byte forms', Buffer.from('é€😀'), ok],
    ['[MQTT-1.5.4-3] a BOM is an ordinary character', b(0xef, 0xbb, 0xbf, 0x61), ok],
    ['U+10FFFF', b(0xf4, 0x8f, 0xbf, 0xbf), ok],
    ['[MQTT-1.5.4-2] U+0000', b(0x61, 0x00), 'contains the null character U+0000'],
    ['[MQTT-1.5.4-1] overlong NUL (C0 80)', b(0xc0, 0x80), 'invalid UTF-8 lead byte 0xc0 at offset 0'],
    ['[MQTT-1.5.4-1] overlong / (C1 AF)', b(0xc1, 0xaf), 'invalid UTF-8 lead byte 0xc1 at offset 0'],
    ['[MQTT-1.5.4-1] overlong 3-byte', b(0xe0, 0x80, 0xaf), 'overlong UTF-8 encoding at offset 0'],
    ['[MQTT-1.5.4-1] overlong 4-byte', b(0xf0, 0x8f, 0xbf, 0xbf), 'overlong UTF-8 encoding at offset 0'],
    ['[MQTT-1.5.4-1] surrogate D800', b(0x61, 0xed, 0xa0, 0x80), 'UTF-16 surrogate encoded at offset 1'],
    ['[MQTT-1.5.4-1] surrogate DFFF', b(0xed, 0xbf, 0xbf), 'UTF-16 surrogate encoded at offset 0'],
    ['[MQTT-1.5.4-1] above U+10FFFF', b(0xf4, 0x90, 0x80, 0x80), 'code point above U+10FFFF at offset 0'],
    ['[MQTT-1.5.4-1] F5 lead byte', b(0xf5, 0x80, 0x80, 0x80), 'invalid UTF-8 lead byte 0xf5 at offset 0'],
    ['[MQTT-1.5.4-1] stray continuation', b(0x80), 'invalid UTF-8 lead byte 0x80 at offset 0'],
    ['[MQTT-1.5.4-1] truncated sequence', b(0x61, 0xe2, 0x82), 'truncated UTF-8 sequence at offset 1'],
    ['[MQTT-1.5.4-1] bad continuation', b(0xe2, 0x28, 0xa1), 'invalid UTF-8 continuation byte at offset 1'],
    ['control characters are only a SHOULD NOT', b(0x09, 0x7f, 0xc2, 0x80), ok],
  ];
  it.each(cases)('%s', (_label, bytes, expected) => {
    expect(validateUtf8(bytes)).toBe(expected);
  });

  it.each([
    ['tab', b(0x61, 0x09)],
    ['DEL', b(0x7f)],
    ['C1 control U+0085', b(0xc2, 0x85)],
    ['non-character U+FDD0', b(0xef, 0xb7, 0x90)],
    ['non-character U+FFFE', b(0xef, 0xbf, 0xbe)],
    ['non-character U+1FFFF', b(0xf0, 0x9f, 0xbf, 0xbf)],
  ])('strict mode (mosquitto_validate_utf8) also refuses %s', (_label, bytes) => {
    expect(validateUtf8(bytes)).toBeNull();
    expect(validateUtf8(bytes, { strict: true })).not.toBeNull();
  });

  it('agrees with the string check for every well-formed string', () => {
    for (const s of ['', 'abc', 'a/b/c', '\u00e9\u20ac\u{1F600}', '\ufeff']) {
      expect(validateUtf8(Buffer.from(s))).toBeNull();
      expect(validateUtf8String(s)).toBeNull();
    }
    expect(validateUtf8String('\udc00a')).toBe('lone UTF-16 surrogate at index 0');
    expect(validateUtf8String('a\u0000')).toBe('contains the null character U+0000');
  });
});
