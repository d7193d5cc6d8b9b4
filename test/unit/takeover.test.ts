import { describe, expect, it } from 'vitest';
import { RECONNECT_DELAY_MS, TakeoverDetector } from '../../src/client/takeover.js';

describe('TakeoverDetector (3.1.1 client-id collisions: closes shortly after CONNACK)', () => {
  const clock = () => {
    let t = 0;
    return { now: () => t, advance: (ms: number) => void (t += ms) };
  };

  it('keeps the 1 s reconnect delay until three short connections in a row, then warns once and backs off with jitter', () => {
    const c = clock();
    const d = new TakeoverDetector({ now: c.now, random: () => 0.5 });
    const cycle = (lived: number) => {
      d.connected();
      c.advance(lived);
      return d.lost();
    };
    expect(cycle(900)).toEqual({ delayMs: RECONNECT_DELAY_MS, warn: false, closes: 1 });
    expect(cycle(900)).toEqual({ delayMs: RECONNECT_DELAY_MS, warn: false, closes: 2 });
    // base 2 s, jitter over its upper half: 1.5 s at random() = 0.5
    expect(cycle(900)).toEqual({ delayMs: 1500, warn: true, closes: 3 });
    expect(cycle(900)).toEqual({ delayMs: 3000, warn: false, closes: 4 });
    const later = [5, 6, 7, 8, 9].map(() => cycle(100).delayMs);
    expect(Math.max(...later)).toBe(22_500);
  });

  it('a connection that lasted resets the streak; a close before any CONNACK does not count', () => {
    const c = clock();
    const d = new TakeoverDetector({ now: c.now, random: () => 1 });
    d.connected();
    c.advance(100);
    d.lost();
    d.connected();
    c.advance(100);
    d.lost();
    d.connected();
    c.advance(60_000);
    expect(d.lost()).toEqual({ delayMs: RECONNECT_DELAY_MS, warn: false, closes: 0 });
    expect(d.lost().closes).toBe(0);
  });

  it('jitter stays within [base/2, base]', () => {
    for (const r of [0, 0.25, 0.999]) {
      const c = clock();
      const d = new TakeoverDetector({ now: c.now, random: () => r, threshold: 1 });
      d.connected();
      const { delayMs } = d.lost();
      expect(delayMs).toBeGreaterThanOrEqual(1000);
      expect(delayMs).toBeLessThanOrEqual(2000);
    }
  });
});
