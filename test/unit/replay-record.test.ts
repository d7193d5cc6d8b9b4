import { describe, expect, it } from 'vitest';
import { parseReplayRecord, ReplayRecordError } from '../../src/client/replay-record.js';
import { userPropertyList } from '../../src/core/protocol/user-properties.js';
import { percentile, summarizeLatencies } from '../../src/output/rr-latency.js';

describe('pub --json-lines records (what sub --json writes)', () => {
  it('a full record: base64 payload, time, v5 properties with user properties in order', () => {
    const m = parseReplayRecord(
      JSON.stringify({
        time: '2026-05-06T21:48:00.123+02:00',
        topic: 't/x',
        qos: 2,
        retain: true,
        mid: 7,
        payloadLength: 3,
        payload: 'AP8A',
        encoding: 'base64',
        properties: {
          'payload-format-indicator': 0,
          'message-expiry-interval': 60,
          'topic-alias': 3,
          'content-type': 'a/b',
          'response-topic': 'r',
          'correlation-data': 'AQI=',
          'subscription-identifier': [4],
          'user-properties': [['k', 'v'], ['k2', 'w'], ['k', 'again']],
        },
      }),
    );
    expect(m).toMatchObject({ topic: 't/x', qos: 2, retain: true, timeMs: Date.UTC(2026, 4, 6, 19, 48, 0, 123) });
    expect(m.payload).toEqual(Buffer.from([0, 0xff, 0]));
    const { userProperties, ...rest } = m.properties!;
    expect(rest).toEqual({ payloadFormatIndicator: false, messageExpiryInterval: 60, contentType: 'a/b', responseTopic: 'r', correlationData: Buffer.from([1, 2]) });
    expect(userPropertyList(userProperties)).toEqual([['k', 'v'], ['k2', 'w'], ['k', 'again']]);
  });

  it('a minimal record: topic and text payload, QoS 0, not retained', () => {
    expect(parseReplayRecord('{"topic":"a","payload":"hé"}')).toEqual({ topic: 'a', payload: Buffer.from('hé'), qos: 0, retain: false });
  });

  it.each([
    ['not json', 'not valid JSON'],
    ['[1]', 'not a JSON object'],
    ['{"payload":"x"}', '"topic" must be a string'],
    ['{"topic":"a","payload":"x","encoding":"hex"}', '"encoding" must be "utf8" or "base64"'],
    ['{"topic":"a","payload":"***","encoding":"base64"}', '"payload" is not valid base64'],
    ['{"topic":"a","payload":"x","payloadLength":2}', '"payloadLength" is 2 but the payload has 1 bytes'],
    ['{"topic":"a","qos":3}', '"qos" must be an integer from 0 to 2'],
    ['{"topic":"a","retain":1}', '"retain" must be true or false'],
    ['{"topic":"a","time":"yesterday"}', '"time" is not an ISO 8601 time'],
    ['{"topic":"a","properties":{"reason-string":"x"}}', 'unknown property "reason-string"'],
    ['{"topic":"a","properties":{"user-properties":[["k"]]}}', 'user-properties must be a list of [key, value] pairs'],
  ])('%s: %s', (line, why) => {
    expect(() => parseReplayRecord(line)).toThrow(new ReplayRecordError(why));
  });
});

describe('rr --count latency summary', () => {
  it('nearest-rank percentiles, rounded to microseconds', () => {
    const samples = Array.from({ length: 100 }, (_, i) => i + 1.0004);
    expect(percentile([...samples].sort((a, b) => a - b), 50)).toBe(50.0004);
    expect(summarizeLatencies(100, samples).latencyMs).toEqual({ min: 1, p50: 50, p90: 90, p99: 99, max: 100, mean: 50.5 });
    expect(summarizeLatencies(3, [])).toEqual({ requests: 3, responses: 0 });
  });
});
