import { describe, expect, it } from 'vitest';
import { topicMatchesFilter } from '../../src/core/topic/match.js';
import { randomFilter, randomTopic, referenceMatch, seededRandom } from './topic-fixtures.js';

// [filter, topic, matches]
const CASES: [string, string, boolean][] = [
  // exact
  ['a/b/c', 'a/b/c', true],
  ['a/b/c', 'a/b', false],
  ['a/b', 'a/b/c', false],
  ['a/b/c', 'a/b/cd', false],
  ['a/b/cd', 'a/b/c', false],
  ['A', 'a', false],
  // [MQTT-4.7.1-2] '#' matches the parent level and any number of child levels
  ['sport/tennis/player1/#', 'sport/tennis/player1', true],
  ['sport/tennis/player1/#', 'sport/tennis/player1/ranking', true],
  ['sport/tennis/player1/#', 'sport/tennis/player1/score/wimbledon', true],
  ['sport/#', 'sport', true],
  ['sport/#', 'sport/', true],
  ['sport/#', 'sports', false],
  ['#', 'a', true],
  ['#', '/', true],
  ['#', 'a/b/c', true],
  ['a/#', 'b', false],
  ['/#', 'a', false],
  ['/#', '/a', true],
  // [MQTT-4.7.1-3] '+' matches exactly one level, empty levels included
  ['sport/tennis/+', 'sport/tennis/player1', true],
  ['sport/tennis/+', 'sport/tennis/player2', true],
  ['sport/tennis/+', 'sport/tennis/player1/ranking', false],
  ['sport/+', 'sport', false],
  ['sport/+', 'sport/', true],
  ['+', 'a', true],
  ['+', '/a', false],
  ['+/+', '/finance', true],
  ['/+', '/finance', true],
  ['+', '/finance', false],
  ['+/+', '/', true],
  ['+/#', 'a', true],
  ['+/+/#', 'a', false],
  ['a/+/c', 'a//c', true],
  ['a/+/c', 'a/c', false],
  // empty levels are levels
  ['a//b', 'a//b', true],
  ['a//b', 'a/b', false],
  ['a/', 'a/', true],
  ['a/', 'a', false],
  ['/', '/', true],
  // [MQTT-4.7.2-1] leading wildcards do not match '$' topics
  ['#', '$SYS/broker/uptime', false],
  ['+/broker/uptime', '$SYS/broker/uptime', false],
  ['+', '$', false],
  ['$SYS/#', '$SYS/broker/uptime', true],
  ['$SYS/+/uptime', '$SYS/broker/uptime', true],
  ['$SYS/#', '$SYS', true],
  ['a/#', 'a/$b', true],
  ['a/+', 'a/$b', true],
];

describe('topicMatchesFilter', () => {
  it.each(CASES)('%j vs topic %j -> %s', (filter, topic, expected) => {
    expect(topicMatchesFilter(filter, topic)).toBe(expected);
  });

  it('agrees with a split-based reference on 20000 random pairs', () => {
    const rnd = seededRandom(7);
    let matched = 0;
    for (let i = 0; i < 20000; i++) {
      const filter = randomFilter(rnd);
      const topic = randomTopic(rnd);
      const expected = referenceMatch(filter, topic);
      if (expected) matched++;
      expect(topicMatchesFilter(filter, topic), `${filter} vs ${topic}`).toBe(expected);
    }
    // the generator must produce a fair share of matches or the comparison proves little
    expect(matched).toBeGreaterThan(1000);
  });
});
