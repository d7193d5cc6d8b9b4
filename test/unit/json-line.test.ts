/** --json: one always-valid JSON object per line. */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { encodePayload, isoLocalTime, jsonLine } from '../../src/output/json-line.js';
import type { ReceivedMessage } from '../../src/output/message.js';
import { restoreTzAfterEach } from '../helpers/tz.js';

const base: ReceivedMessage = {
  topic: 'sensors/t1',
  payload: Buffer.from('21.5'),
  qos: 0,
  retain: false,
  mid: 0,
  receivedAt: { epochMs: 1795316678257, nanos: 257988059 },
};

restoreTzAfterEach();

describe('jsonLine', () => {
  it('has the documented keys in order', () => {
    process.env.TZ = 'UTC';
    expect(jsonLine({ ...base, qos: 1, mid: 9, retain: true })).toBe(
      '{"time":"2026-11-22T03:04:38.257+00:00","topic":"sensors/t1","qos":1,"retain":true,"mid":9,' +
        '"payloadLength":4,"payload":"21.5","encoding":"utf8"}',
    );
    expect(Object.keys(JSON.parse(jsonLine(base)))).toEqual([
      'time',
      'topic',
      'qos',
      'retain',
      'payloadLength',
      'payload',
      'encoding',
    ]);
  });

  it('uses local time with the zone offset', () => {
    process.env.TZ = 'Europe/Berlin';
    expect(isoLocalTime(base)).toBe('2026-11-22T04:04:38.257+01:00');
    process.env.TZ = 'America/St_Johns';
    expect(isoLocalTime(base)).toBe('2026-11-21T23:34:38.257-03:30');
  });

  it.each([
    ['text', Buffer.from('héllo "q"\n'), 'héllo "q"\n', 'utf8'],
    ['empty', Buffer.alloc(0), '', 'utf8'],
    ['NUL byte', Buffer.from([0x61, 0x00, 0x62]), 'YQBi', 'base64'],
    ['0xff', Buffer.from([0xff, 0xfe]), '//4=', 'base64'],
    ['truncated UTF-8', Buffer.from([0x63, 0xc3]), 'Y8M=', 'base64'],
    ['UTF-16 surrogate encoded in UTF-8', Buffer.from([0xed, 0xa0, 0x80]), '7aCA', 'base64'],
  ])('payload: %s', (_name, payload, text, encoding) => {
    expect(encodePayload(payload)).toEqual({ payload: text, encoding });
    const parsed = JSON.parse(jsonLine({ ...base, payload }));
    expect(parsed.payload).toBe(text);
    expect(parsed.payloadLength).toBe(payload.length);
    const back = Buffer.from(parsed.payload, encoding as BufferEncoding);
    expect(back.equals(payload)).toBe(true);
  });

  it('is always parseable and lossless for random bytes', () => {
    for (let i = 0; i < 500; i++) {
      const payload = randomBytes(i % 64);
      const line = jsonLine({ ...base, payload, topic: `t/${i}\u2028"` });
      expect(line).not.toContain('\n');
      const parsed = JSON.parse(line);
      expect(Buffer.from(parsed.payload, parsed.encoding).equals(payload)).toBe(true);
    }
  });

  it('maps MQTT 5 properties to hyphenated names, keeping user property order and duplicates', () => {
    const line = jsonLine({
      ...base,
      properties: {
        subscriptionIdentifier: [3, 4],
        userProperties: { a: ['1', '3'], b: '2' },
        contentType: 'text/plain',
        responseTopic: 're/sp',
        correlationData: Buffer.from([0, 1, 2]),
        payloadFormatIndicator: true,
        messageExpiryInterval: 60,
        topicAlias: 2,
      },
      userPropertyList: [
        ['a', '1'],
        ['b', '2'],
        ['a', '3'],
      ],
    });
    expect(JSON.parse(line).properties).toEqual({
      'payload-format-indicator': 1,
      'message-expiry-interval': 60,
      'topic-alias': 2,
      'content-type': 'text/plain',
      'response-topic': 're/sp',
      'correlation-data': 'AAEC',
      'subscription-identifier': [3, 4],
      'user-properties': [
        ['a', '1'],
        ['b', '2'],
        ['a', '3'],
      ],
    });
  });

  it('flattens mqtt-packet user properties when no wire-ordered list is given', () => {
    const line = jsonLine({ ...base, properties: { userProperties: { k: ['x', 'y'] }, subscriptionIdentifier: 5 } });
    expect(JSON.parse(line).properties).toEqual({
      'subscription-identifier': [5],
      'user-properties': [
        ['k', 'x'],
        ['k', 'y'],
      ],
    });
  });

  it('omits properties when there are none', () => {
    expect(JSON.parse(jsonLine({ ...base, properties: {} }))).not.toHaveProperty('properties');
  });
});
