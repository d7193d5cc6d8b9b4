/**
 * The -F language. Expected strings were taken from mosquitto_sub 2.0.11 (Debian 12, cJSON build)
 * printing the same message, or read off sub_client_output.c where no broker can produce the input
 * (e.g. a topic-alias property).
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { UsageError } from '../../src/cli/errors.js';
import { compileFormat, renderFormat, type RenderOptions } from '../../src/output/format-template.js';
import type { ReceivedMessage } from '../../src/output/message.js';
import { restoreTzAfterEach } from '../helpers/tz.js';

/** 2026-11-22T03:04:38.257988059Z, a Sunday */
const AT = { epochMs: 1795316678257, nanos: 257988059 };

const base: ReceivedMessage = { topic: 'x/y', payload: Buffer.from('hello'), qos: 0, retain: false, mid: 0, receivedAt: AT };
const qos1: ReceivedMessage = { ...base, qos: 1, mid: 42, retain: true };
const empty: ReceivedMessage = { ...base, payload: Buffer.alloc(0) };
const v5: ReceivedMessage = {
  ...base,
  qos: 2,
  mid: 7,
  payload: Buffer.from('{"x":[1,2,{"y":null}],"z":{}}'),
  properties: {
    subscriptionIdentifier: 9,
    userProperties: { a: ['1', '3'], b: '2' },
    contentType: 'text/plain',
    responseTopic: 're/sp',
    correlationData: Buffer.from('c"d'),
    payloadFormatIndicator: true,
    messageExpiryInterval: 4294967295,
  },
  userPropertyList: [
    ['a', '1'],
    ['b', '2'],
    ['a', '3'],
  ],
};

function render(fmt: string, msg: ReceivedMessage = base, opts: Partial<RenderOptions> = {}): string {
  return renderFormat(compileFormat(fmt), msg, { pretty: false, noEol: true, ...opts }).toString('latin1');
}

restoreTzAfterEach();
beforeEach(() => {
  process.env.TZ = 'UTC';
});

describe('% specifiers', () => {
  it.each([
    ['%%', base, '%'],
    ['%t', base, 'x/y'],
    ['%p', base, 'hello'],
    ['%x', base, '68656c6c6f'],
    ['%X', { ...base, payload: Buffer.from([0xab, 0x00, 0xff]) }, 'AB00FF'],
    ['%l', base, '5'],
    ['%q', qos1, '1'],
    ['%r', qos1, '1'],
    ['%r', base, '0'],
    ['%m', qos1, '42'],
    ['%m', base, '0'],
    ['%I', base, '2026-11-22T03:04:38+0000'],
    ['%U', base, '1795316678.257988059'],
    // absent v5 properties print nothing without a width
    ['%A%C%D%E%F%P%R%S', base, ''],
    ['%P', v5, 'a:1 b:2 a:3'],
    ['%C', v5, 'text/plain'],
    ['%R', v5, 're/sp'],
    ['%D', v5, 'c"d'],
    ['%F', v5, '1'],
    ['%S', v5, '9'],
    // message-expiry-interval goes through an (int) cast
    ['%E', v5, '-1'],
    ['%A', { ...base, properties: { topicAlias: 3 } }, '3'],
    ['%S', { ...base, properties: { subscriptionIdentifier: [4, 5] } }, '4'],
    ['%P', { ...base, properties: { userProperties: { k: ['1', '2'], j: 'x' } } }, 'k:1 k:2 j:x'],
    ['%p|%x|%l', empty, '||0'],
  ])('%s', (fmt, msg, expected) => {
    expect(render(fmt, msg)).toBe(expected);
  });

  it('prints raw payload bytes and C-string topics', () => {
    const bin = { ...base, payload: Buffer.from([0, 0xff, 0x0a]) };
    expect(renderFormat(compileFormat('%p'), bin, { pretty: false, noEol: true })).toEqual(Buffer.from([0, 0xff, 0x0a]));
    expect(render('%t', { ...base, topic: 'café' })).toBe(Buffer.from('café').toString('latin1'));
  });
});

describe('flags, width and precision', () => {
  it('matches mosquitto on one long template', () => {
    const fmt =
      '[%5p|%-5p|%05p|%5.1p|%2p|%x|%10x|%-10X|%010x|%3x|%1x|%05q|%5r|%-5l|%05l|%05E|%5C|%5R|%-4S|%05A' +
      '|%.1t|%-6.2t|%06t|@5|@ü|%%]';
    expect(render(fmt)).toBe(
      Buffer.from(
        '[hello|hello|hello|hello|he|68656c6c6f|      6865|6865      |0000006865| 68| |0|0|5    |00005|00000|' +
          '     ||    |00000|x|x/    |   x/y|   %5|%ü|%]',
      ).toString('latin1'),
    );
  });

  it.each([
    // strings: width pads, precision cuts (bytes)
    ['%10t|', base, '       x/y|'],
    ['%-10t|', base, 'x/y       |'],
    ['%.2t|', base, 'x/|'],
    ['%10.10t|', { ...base, topic: 'a/very/long/topic' }, 'a/very/lon|'],
    ['%-8.2C|', v5, 'te      |'],
    ['%.1t', { ...base, topic: 'é' }, '\xc3'],
    ['%30.13I|', base, '                 2026-11-22T03|'],
    // the payload width is also a maximum
    ['%3p', base, 'hel'],
    ['%-8p|', base, 'hello   |'],
    ['%08p', base, '000hello'],
    ['%-08p|', base, 'hello   |'],
    // 2.0.x hex: min(len, width) / 2 bytes, padded to the width (bug, fixed in 2.1)
    ['%4x', base, '6865'],
    ['%-12X|', base, '6865        |'],
    ['%10x|', { ...base, payload: Buffer.from('hi') }, '        68|'],
    ['%30x|', { ...base, payload: Buffer.from('hi') }, ' '.repeat(28) + '68|'],
    ['%1x|', base, ' |'],
    ['%010x', base, '0000006865'],
    // integers
    ['%5l|%-5l|%05l', base, '    5|5    |00005'],
    ['%08E', { ...base, properties: { messageExpiryInterval: 4294967290 } }, '-0000006'],
    ['%-6m|', qos1, '42    |'],
    ['%3q|%3r', qos1, '1|1'],
    // absent integers blank with the pad character, absent C with spaces, absent R prints nothing
    ['%05E|%-3S|%4A|%04F', base, '00000|   |    |0000'],
    ['%6C|%6R|', base, '      ||'],
    // %D %P %j ignore width entirely
    ['%9D|%9P|', v5, 'c"d|a:1 b:2 a:3|'],
  ])('%s', (fmt, msg, expected) => {
    expect(render(fmt, msg)).toBe(expected);
  });
});

describe('escapes and literals', () => {
  it('maps every backslash escape', () => {
    expect(render('\\\\|\\0|\\a|\\e|\\n|\\r|\\t|\\v')).toBe('\\|\0|\x07|\x1b|\n|\r|\t|\x0b');
  });

  it('copies other bytes, including non-ASCII, unchanged', () => {
    expect(render('→ %t ←')).toBe(Buffer.from('→ x/y ←').toString('latin1'));
  });

  it('ends the record with a newline unless noEol', () => {
    const c = compileFormat('%t');
    expect(renderFormat(c, base, { pretty: false }).toString()).toBe('x/y\n');
    expect(renderFormat(c, base, { pretty: false, noEol: true }).toString()).toBe('x/y');
    expect(renderFormat(compileFormat(''), base, { pretty: false }).toString()).toBe('\n');
  });
});

describe('@ strftime codes', () => {
  const all = '@a @A @b @B @c|@C @d @D @e @F @g @G @h @H @I @j @k @l @m @M @n@p @P @r @R @s @S @t@T @u @U @V @w @W @x @X @y @Y @z @Z';

  it('UTC', () => {
    expect(render(all)).toBe(
      'Sun Sunday Nov November Sun Nov 22 03:04:38 2026|20 22 11/22/26 22 2026-11-22 26 2026 Nov 03 03 326  3  3 11 04 \n' +
        'AM am 03:04:38 AM 03:04 1795316678 38 \t03:04:38 7 47 47 0 46 11/22/26 03:04:38 26 2026 +0000 UTC',
    );
  });

  it('Europe/Berlin (TZ read at render time)', () => {
    process.env.TZ = 'Europe/Berlin';
    expect(render('@H:@M:@S @z @Z @c')).toBe('04:04:38 +0100 CET Sun Nov 22 04:04:38 2026');
    expect(render('@H @Z', { ...base, receivedAt: { epochMs: 1783000000000, nanos: 0 } })).toBe('15 CEST');
  });

  it('@N is the nanoseconds, @@ an @, unknown codes come back as %c', () => {
    expect(render('@N|@@|@q|@E|@O|@0|@1|@5|@+|@-')).toBe('257988059|@|%q|%E|%O|%0|%1|   %5|%+|%-');
    expect(render('@N', { ...base, receivedAt: { epochMs: 0, nanos: 5 } })).toBe('000000005');
  });
});

describe('validation (check_format)', () => {
  it.each([
    ['%e', "Invalid format specifier 'e'."],
    ['%i', "Invalid format specifier 'i'."],
    ['%T', "Invalid format specifier 'T'."],
    ['%d', "Invalid format specifier 'd'."],
    ['%f', "Invalid format specifier 'f'."],
    ['%0-5t', "Invalid format specifier '-'."],
    ['%--t', "Invalid format specifier '-'."],
    ['%ü', "Invalid format specifier 'ü'."],
    ['%', 'Incomplete format specifier.'],
    ['abc%-', 'Incomplete format specifier.'],
    ['%5', 'Incomplete format specifier.'],
    ['%.', 'Incomplete format specifier.'],
    ['%.5', 'Incomplete format specifier.'],
    ['@', 'Incomplete format specifier.'],
    ['x\\', 'Incomplete escape specifier.'],
    ['\\q', "Invalid escape specifier 'q'."],
    ['\\ü', "Invalid escape specifier 'ü'."],
  ])('%j -> %s', (fmt, message) => {
    let error: unknown;
    try {
      compileFormat(fmt);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toBe(message);
  });

  it.each(['%10.t', '%-0t', '%00t', '%-040p', '%%', '@%', '@@', '%.0t', ''])('accepts %j', (fmt) => {
    expect(() => compileFormat(fmt)).not.toThrow();
  });

  it('renders the odd but valid ones like printf would', () => {
    expect(render('%10.t|%-0t|%00t|%-040p|')).toBe('          |x/y|x/y|hello' + ' '.repeat(35) + '|');
  });
});

describe('%j and %J (cJSON build)', () => {
  const TST = '"tst":"2026-11-22T03:04:38.257988Z+0000"';

  it('%j: key order, mid only for QoS > 0, payload as a string', () => {
    expect(render('%j')).toBe(`{${TST},"topic":"x/y","qos":0,"retain":0,"payloadlen":5,"payload":"hello"}`);
    expect(render('%j', qos1)).toBe(`{${TST},"topic":"x/y","qos":1,"retain":1,"payloadlen":5,"mid":42,"payload":"hello"}`);
    expect(render('%j', empty)).toBe(`{${TST},"topic":"x/y","qos":0,"retain":0,"payloadlen":0,"payload":null}`);
  });

  it('%j: the payload is a C string: cut at NUL, control bytes escaped, high bytes raw', () => {
    const bin = { ...base, payload: Buffer.from([0x61, 0x62, 0, 0x63, 0xff]) };
    expect(render('%j', bin)).toBe(`{${TST},"topic":"x/y","qos":0,"retain":0,"payloadlen":5,"payload":"ab"}`);
    const ctl = { ...base, payload: Buffer.from('caf\xc3\xa9\x01\t"\\\b\f\n\r\x1f', 'latin1') };
    expect(render('%j', ctl)).toBe(
      `{${TST},"topic":"x/y","qos":0,"retain":0,"payloadlen":14,` +
        '"payload":"caf\xc3\xa9\\u0001\\t\\"\\\\\\b\\f\\n\\r\\u001f"}',
    );
  });

  it('%j: "tst" has a literal Z before the local offset', () => {
    process.env.TZ = 'Asia/Kolkata';
    expect(render('%j')).toContain('"tst":"2026-11-22T08:34:38.257988Z+0530"');
  });

  it('%j: MQTT 5 properties in wire order, user properties nested with duplicates', () => {
    expect(render('%j', v5)).toBe(
      `{${TST},"topic":"x/y","qos":2,"retain":0,"payloadlen":29,"mid":7,"properties":{` +
        '"subscription-identifier":9,"user-properties":{"a":"1","b":"2","a":"3"},"content-type":"text/plain",' +
        '"response-topic":"re/sp","correlation-data":"c\\"d","payload-format-indicator":1,' +
        '"message-expiry-interval":4294967295},"payload":"{\\"x\\":[1,2,{\\"y\\":null}],\\"z\\":{}}"}',
    );
  });

  it('%j --pretty: cJSON_Print layout', () => {
    expect(render('%j', v5, { pretty: true })).toBe(
      [
        '{',
        '\t"tst":\t"2026-11-22T03:04:38.257988Z+0000",',
        '\t"topic":\t"x/y",',
        '\t"qos":\t2,',
        '\t"retain":\t0,',
        '\t"payloadlen":\t29,',
        '\t"mid":\t7,',
        '\t"properties":\t{',
        '\t\t"subscription-identifier":\t9,',
        '\t\t"user-properties":\t{',
        '\t\t\t"a":\t"1",',
        '\t\t\t"b":\t"2",',
        '\t\t\t"a":\t"3"',
        '\t\t},',
        '\t\t"content-type":\t"text/plain",',
        '\t\t"response-topic":\t"re/sp",',
        '\t\t"correlation-data":\t"c\\"d",',
        '\t\t"payload-format-indicator":\t1,',
        '\t\t"message-expiry-interval":\t4294967295',
        '\t},',
        '\t"payload":\t"{\\"x\\":[1,2,{\\"y\\":null}],\\"z\\":{}}"',
        '}',
      ].join('\n'),
    );
  });

  it('%j: topic-alias prints the stale 16-bit value (0, or an earlier correlation-data length)', () => {
    const alias = (properties: Record<string, unknown>) => render('%j', { ...base, properties });
    expect(alias({ topicAlias: 5 })).toContain('"properties":{"topic-alias":0}');
    expect(alias({ correlationData: Buffer.from('abcd'), topicAlias: 5 })).toContain('"topic-alias":4}');
    expect(alias({ subscriptionIdentifier: [1, 2] })).toContain('{"subscription-identifier":1,"subscription-identifier":2}');
  });

  it('%J embeds the payload re-printed by cJSON', () => {
    const json = (payload: string, opts: Partial<RenderOptions> = {}) =>
      render('%J', { ...base, payload: Buffer.from(payload, 'latin1') }, opts).replace(/^.*"payload":\t?/s, '');
    expect(json('[1e400,-0,0.1,1e21,123456789012345678,1.5e-7,3.0e2,1e20,0.30000000000000004,2147483648,01,1.,1E5]')).toBe(
      '[null,-0,0.1,1e+21,1.2345678901234568e+17,1.5e-07,300,1e+20,0.3,2147483648,1,1,100000]}',
    );
    expect(json('[1e-400, 5e-324, 1.7976931348623157e308, 9007199254740993, 1e15, 2251799813685247.25]')).toBe(
      '[0,4.94065645841247e-324,1.79769313486232e+308,9.00719925474099e+15,1e+15,2251799813685247.2]}',
    );
    expect(json(' {"a":"\\u00e9\\ud83d\\ude00\\/\\b\\f\\u0001"} ')).toBe('{"a":"\xc3\xa9\xf0\x9f\x98\x80/\\b\\f\\u0001"}}');
    expect(json('"\\uZZZZab"')).toBe('""}');
    expect(json('-.5')).toBe('-0.5}');
    expect(json('\xef\xbb\xbf{"a" : 1 , "b":[ ] }')).toBe('{"a":1,"b":[]}}');
    expect(json('{"a":1,"a":2}')).toBe('{"a":1,"a":2}}');
    expect(json('1' + '2'.repeat(69))).toBe('1.2222222222222223e+69}');
    expect(json('['.repeat(1000) + ']'.repeat(1000))).toBe('['.repeat(1000) + ']'.repeat(1000) + '}');
  });

  it('%J --pretty nests with tabs, arrays stay on one line', () => {
    const msg = {
      ...base,
      payload: Buffer.from('{"x":[1,2.50,{"y":null},[]],"z":{}, "w":[[1,{"a":{}}]]}'),
    };
    expect(render('%J', msg, { pretty: true }).replace(/^[^]*"payload":\t/, '')).toBe(
      ['{', '\t\t"x":\t[1, 2.5, {', '\t\t\t\t"y":\tnull', '\t\t\t}, []],', '\t\t"z":\t{', '\t\t},',
        '\t\t"w":\t[[1, {', '\t\t\t\t\t"a":\t{', '\t\t\t\t\t}', '\t\t\t\t}]]', '\t}', '}'].join('\n'),
    );
  });

  it('%J rejects what cJSON rejects and reports it like mosquitto, printing the rest', () => {
    for (const bad of ['{"a":1}x', '[1e]', '"a\\qb"', '[1,]', '-', '"\\ud800"', '"\\udc00"', 'nul', '{"a":1}\0',
      '['.repeat(1001) + ']'.repeat(1001)]) {
      const warnings: string[] = [];
      const out = render('<%J>', { ...base, payload: Buffer.from(bad) }, { warn: (l) => warnings.push(l) });
      expect(out, bad).toBe('<>');
      expect(warnings).toEqual(['Error: Message payload is not valid JSON on topic x/y.']);
    }
  });

  it('%J of an empty payload is null', () => {
    expect(render('%J', empty)).toBe(`{${TST},"topic":"x/y","qos":0,"retain":0,"payloadlen":0,"payload":null}`);
  });
});
