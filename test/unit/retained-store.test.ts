import { describe, expect, it } from 'vitest';
import type { BrokerMessage } from '../../src/broker/message.js';
import { RetainedStore } from '../../src/broker/retained-store.js';
import { topicMatchesFilter } from '../../src/core/topic/match.js';
import { randomFilter, randomTopic, seededRandom } from './topic-fixtures.js';

function msg(topic: string, payload = 'x', expiresAt?: number): BrokerMessage {
  return {
    topic,
    payload: Buffer.from(payload),
    qos: 0,
    retain: true,
    senderId: 'c',
    properties: undefined,
    expiresAt,
    frame: undefined,
    frameKey: undefined,
    frames: undefined,
  } as BrokerMessage;
}

const topics = (store: RetainedStore, filter: string, now = 0): string[] => [...store.matching(filter, now)].map((m) => m.topic);

describe('RetainedStore', () => {
  it("walks in Mosquitto's order: a level before the levels below it, siblings in first-use order", () => {
    const store = new RetainedStore();
    for (const t of ['1/2/3/4/5/6/7', '1/2/3/4', '1', 'b', 'a/x', 'a']) store.set(msg(t));
    expect(topics(store, '#')).toEqual(['1', '1/2/3/4', '1/2/3/4/5/6/7', 'b', 'a', 'a/x']);
    store.set(msg('1/2/3/4', ''));
    expect(topics(store, '#')).toEqual(['1', '1/2/3/4/5/6/7', 'b', 'a', 'a/x']);
    expect(store.size).toBe(5);
  });

  it('[MQTT-3.3.1-10] an empty payload deletes, and levels left empty go', () => {
    const store = new RetainedStore();
    store.set(msg('a/b/c'));
    store.set(msg('a/b/c', ''));
    expect(store.size).toBe(0);
    expect(topics(store, '#')).toEqual([]);
    // a level used again after its removal counts as new: it comes after the older siblings
    store.set(msg('z'));
    store.set(msg('a/b/c'));
    expect(topics(store, '#')).toEqual(['z', 'a/b/c']);
    store.set(msg('nothing/here', ''));
    expect(store.size).toBe(2);
  });

  it('[MQTT-4.7.2-1] first-level wildcards do not reach $ topics', () => {
    const store = new RetainedStore();
    for (const t of ['$SYS/x', 'a', '$share', 'a/$b']) store.set(msg(t));
    expect(topics(store, '#')).toEqual(['a', 'a/$b']);
    expect(topics(store, '+')).toEqual(['a']);
    expect(topics(store, '+/+')).toEqual(['a/$b']);
    expect(topics(store, '$SYS/#')).toEqual(['$SYS/x']);
    expect(topics(store, '$share')).toEqual(['$share']);
  });

  it('drops expired messages on the way', () => {
    const store = new RetainedStore();
    store.set(msg('a/1', 'x', 100));
    store.set(msg('a/2', 'x', 300));
    expect(topics(store, 'a/+', 200)).toEqual(['a/2']);
    expect(store.size).toBe(1);
    expect(topics(store, 'a/1', 0)).toEqual([]);
  });

  it('matches exactly what topicMatchesFilter matches (random topics and filters)', () => {
    const rnd = seededRandom(7);
    const store = new RetainedStore();
    const all = new Set<string>();
    for (let i = 0; i < 300; i++) {
      const t = randomTopic(rnd);
      all.add(t);
      store.set(msg(t));
    }
    expect(store.size).toBe(all.size);
    for (let i = 0; i < 500; i++) {
      const f = randomFilter(rnd);
      const expected = [...all].filter((t) => topicMatchesFilter(f, t)).sort();
      const got = topics(store, f);
      expect(new Set(got).size, f).toBe(got.length);
      expect([...got].sort(), f).toEqual(expected);
    }
  });
});
