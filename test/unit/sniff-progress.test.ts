import { describe, expect, it } from 'vitest';
import { ReadProgress } from '../../src/sniff/format/sniff-progress.js';

describe('progress line for large capture files', () => {
  it('rewrites one line at most every 200 ms, and erases it at the end', () => {
    let now = 0;
    const written: string[] = [];
    const p = new ReadProgress({ write: (t: string) => written.push(t) }, 10_000_000, () => now);
    p.update(1_000_000, 1234);
    now = 100;
    p.update(2_000_000, 2345); // too soon: not shown
    now = 250;
    p.update(5_000_000, 1_234_567);
    p.clear();
    p.clear(); // nothing left to erase
    expect(written).toEqual([
      '\r\x1b[K 10% 1.0 MB of 10.0 MB, 1,234 MQTT packets',
      '\r\x1b[K 50% 5.0 MB of 10.0 MB, 1,234,567 MQTT packets',
      '\r\x1b[K',
    ]);
  });
});
