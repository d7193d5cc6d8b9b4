import { describe, expect, it } from 'vitest';
import { topicMatchesFilter } from '../../src/core/topic/match.js';
import { SubscriptionTrie } from '../../src/core/topic/trie.js';
import { randomFilter, randomTopic, seededRandom } from './topic-fixtures.js';

const sorted = <T>(xs: Iterable<T>): T[] => [...xs].sort();

function trieOf(filters: string[]): SubscriptionTrie<string> {
  const trie = new SubscriptionTrie<string>();
  for (const f of filters) trie.add(f, f);
  return trie;
}

describe('SubscriptionTrie', () => {
  const filters = ['a/b', 'a/+', 'a/#', '#', '+/b', '+', '$SYS/#', '$SYS/+', 'a//b', 'a/b/#', '/#'];
  const cases: [string, string[]][] = [
    ['a/b', ['#', '+/b', 'a/#', 'a/+', 'a/b', 'a/b/#']],
    ['a', ['#', '+', 'a/#']],
    ['a/b/c', ['#', 'a/#', 'a/b/#']],
    ['a//b', ['#', 'a/#', 'a//b']],
    ['/x', ['#', '/#']],
    // [MQTT-4.7.2-1] only filters starting with '$SYS' reach '$SYS' topics
    ['$SYS/uptime', ['$SYS/#', '$SYS/+']],
    ['$SYS', ['$SYS/#']],
    ['b/c', ['#']],
  ];
  it.each(cases)('topic %j matches %j', (topic, expected) => {
    expect(sorted(trieOf(filters).match(topic))).toEqual(sorted(expected));
  });

  it('keeps one entry per (filter, value) pair and reports duplicates', () => {
    const trie = new SubscriptionTrie<string>();
    expect(trie.add('a/+', 'c1')).toBe(true);
    expect(trie.add('a/+', 'c1')).toBe(false);
    expect(trie.add('a/#', 'c1')).toBe(true);
    expect(trie.add('a/+', 'c2')).toBe(true);
    expect(trie.size).toBe(3);
    // overlapping subscriptions of one client come once per filter
    expect(sorted(trie.match('a/x'))).toEqual(['c1', 'c1', 'c2']);
    expect(trie.has('a/+', 'c2')).toBe(true);
    expect(trie.has('a/+', 'c3')).toBe(false);
    expect(trie.has('a/b', 'c1')).toBe(false);
  });

  it('removes pairs and forgets emptied branches', () => {
    const trie = trieOf(['a/b/c', 'a/+/c', 'a/#']);
    expect(trie.remove('a/b/c', 'nope')).toBe(false);
    expect(trie.remove('x/y', 'x/y')).toBe(false);
    expect(trie.remove('a/b/c', 'a/b/c')).toBe(true);
    expect(trie.remove('a/b/c', 'a/b/c')).toBe(false);
    expect(sorted(trie.match('a/b/c'))).toEqual(['a/#', 'a/+/c']);
    expect(trie.remove('a/+/c', 'a/+/c')).toBe(true);
    expect(trie.remove('a/#', 'a/#')).toBe(true);
    expect(trie.size).toBe(0);
    expect(trie.match('a/b/c')).toEqual([]);
    // nothing left behind: internal root has no branches
    expect((trie as unknown as { root: { children: Map<string, unknown>; plus?: unknown; hash?: unknown } }).root)
      .toMatchObject({ children: new Map(), plus: undefined, hash: undefined });
  });

  it('keeps a branch that still holds other subscriptions', () => {
    const trie = trieOf(['a/b', 'a/b/c']);
    trie.remove('a/b/c', 'a/b/c');
    expect(trie.match('a/b')).toEqual(['a/b']);
    trie.add('a/b/c', 'a/b/c');
    trie.remove('a/b', 'a/b');
    expect(trie.match('a/b/c')).toEqual(['a/b/c']);
  });

  it('clears everything', () => {
    const trie = trieOf(['#', 'a']);
    trie.clear();
    expect(trie.size).toBe(0);
    expect(trie.match('a')).toEqual([]);
  });

  it('agrees with topicMatchesFilter on random filters and topics, through adds and removes', () => {
    const rnd = seededRandom(42);
    const trie = new SubscriptionTrie<string>();
    const live = new Set<string>();
    let nonEmpty = 0;
    for (let round = 0; round < 40; round++) {
      for (let i = 0; i < 25; i++) {
        const f = randomFilter(rnd);
        expect(trie.add(f, f)).toBe(!live.has(f));
        live.add(f);
      }
      for (const f of [...live]) {
        if (rnd() < 0.3) {
          expect(trie.remove(f, f)).toBe(true);
          live.delete(f);
        }
      }
      expect(trie.size).toBe(live.size);
      for (let i = 0; i < 50; i++) {
        const topic = randomTopic(rnd);
        const expected = [...live].filter((f) => topicMatchesFilter(f, topic));
        if (expected.length > 0) nonEmpty++;
        expect(sorted(trie.match(topic)), topic).toEqual(sorted(expected));
      }
    }
    expect(nonEmpty).toBeGreaterThan(1000);
  });
});
