import { describe, expect, it } from 'vitest';
import { FifoQueue } from '../../src/core/collections/fifo-queue.js';

describe('FifoQueue', () => {
  it('keeps order across growth and wrap-around', () => {
    const q = new FifoQueue<number>();
    const expected: number[] = [];
    let next = 0;
    // interleave pushes and shifts so the head wraps while the ring grows
    for (let round = 0; round < 200; round++) {
      for (let i = 0; i < (round % 7) + 3; i++) {
        q.push(next);
        expected.push(next++);
      }
      for (let i = 0; i < (round % 5) + 1 && expected.length > 0; i++) expect(q.shift()).toBe(expected.shift());
      expect(q.length).toBe(expected.length);
      expect(q.peek()).toBe(expected[0]);
    }
    expect([...q]).toEqual(expected);
    while (expected.length > 0) expect(q.shift()).toBe(expected.shift());
    expect(q.shift()).toBeUndefined();
    expect(q.length).toBe(0);
  });

  it('clear empties it, and it is usable again', () => {
    const q = new FifoQueue<string>();
    for (let i = 0; i < 100; i++) q.push(String(i));
    q.clear();
    expect(q.length).toBe(0);
    expect([...q]).toEqual([]);
    q.push('a');
    expect(q.shift()).toBe('a');
  });

  it('drains a backlog of 1,000,000 in linear time (Array.shift took minutes)', () => {
    const q = new FifoQueue<number>();
    for (let i = 0; i < 1_000_000; i++) q.push(i);
    let sum = 0;
    const t0 = performance.now();
    for (let i = 0; i < 1_000_000; i++) sum += q.shift()!;
    expect(sum).toBe((999_999 * 1_000_000) / 2);
    // generous for a loaded machine: a quadratic drain of this size takes far longer
    expect(performance.now() - t0).toBeLessThan(2000);
  });
});
