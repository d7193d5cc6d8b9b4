import { describe, expect, it } from 'vitest';
import { StreamTracker } from '../../src/bench/stream-tracker.js';

function track(seqs: number[]): StreamTracker {
  const t = new StreamTracker();
  for (const s of seqs) t.record(s);
  return t;
}

describe('bench stream accounting', () => {
  it('counts an in-order stream as complete', () => {
    expect(track([0, 1, 2, 3]).counts()).toEqual({ received: 4, unique: 4, duplicates: 0, outOfOrder: 0, next: 4 });
  });

  it('sees gaps as loss, a repeat as a duplicate, a late one as out of order', () => {
    const t = track([0, 1, 3, 3, 2, 6, 1]);
    expect(t.counts()).toEqual({ received: 7, unique: 5, duplicates: 2, outOfOrder: 1, next: 7 });
    expect(t.gaps).toBe(2); // 4 and 5
  });

  it('tells duplicates from late arrivals far apart (across bitmap blocks)', () => {
    const t = track([200_000, 5, 70_000, 5, 200_000]);
    expect(t.duplicates).toBe(2);
    expect(t.outOfOrder).toBe(2);
    expect(t.gaps).toBe(200_001 - 3);
  });
});
