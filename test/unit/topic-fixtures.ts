/** Random topics and filters over a tiny alphabet (so they collide often) and a reference matcher. */

import { prng } from '../../scripts/fuzz/fuzz-lib.js';

export type Rnd = () => number;

/** mulberry32: deterministic, so a failing case can be replayed (the fuzzer's generator). */
export const seededRandom: (seed: number) => Rnd = prng;

const WORDS = ['a', 'b', '', '$s', 'ab'];

function pick<T>(rnd: Rnd, items: readonly T[]): T {
  return items[Math.floor(rnd() * items.length)];
}

export function randomTopic(rnd: Rnd): string {
  const levels = 1 + Math.floor(rnd() * 4);
  const parts: string[] = [];
  for (let i = 0; i < levels; i++) parts.push(pick(rnd, WORDS));
  const topic = parts.join('/');
  return topic === '' ? 'a' : topic;
}

export function randomFilter(rnd: Rnd): string {
  const levels = 1 + Math.floor(rnd() * 4);
  const parts: string[] = [];
  for (let i = 0; i < levels; i++) {
    const r = rnd();
    parts.push(r < 0.25 ? '+' : pick(rnd, WORDS));
  }
  if (rnd() < 0.3) parts.push('#');
  const filter = parts.join('/');
  return filter === '' ? '#' : filter;
}

/** The spec's rules written the obvious way, to check the fast implementations against. */
export function referenceMatch(filter: string, topic: string): boolean {
  const f = filter.split('/');
  const t = topic.split('/');
  if (topic.startsWith('$') && (f[0] === '+' || f[0] === '#')) return false;
  const walk = (i: number): boolean => {
    if (i === f.length) return i === t.length;
    if (f[i] === '#') return true;
    if (i === t.length) return false;
    return (f[i] === '+' || f[i] === t[i]) && walk(i + 1);
  };
  return walk(0);
}
