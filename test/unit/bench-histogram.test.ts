import { describe, expect, it } from 'vitest';
import { bucketHigh, bucketLow, Histogram, HISTOGRAM_BUCKETS, HISTOGRAM_MAX_VALUE } from '../../src/core/stats/histogram.js';

describe('bench histogram', () => {
  it('has contiguous buckets whose width stays under 1/64 of their lower bound', () => {
    for (let i = 1; i < HISTOGRAM_BUCKETS; i++) {
      expect(bucketLow(i)).toBe(bucketHigh(i - 1) + 1);
      if (bucketLow(i) >= 128) expect(bucketHigh(i) - bucketLow(i) + 1).toBeLessThanOrEqual(bucketLow(i) / 64);
    }
    expect(bucketHigh(HISTOGRAM_BUCKETS - 1)).toBeGreaterThanOrEqual(HISTOGRAM_MAX_VALUE);
  });

  it('records exact small values and keeps exact min, max and mean', () => {
    const h = new Histogram();
    for (let v = 1; v <= 100; v++) h.record(v);
    const s = h.summary();
    expect(s).toMatchObject({ count: 100, min: 1, max: 100, p50: 50, p90: 90, p99: 99 });
    expect(s.mean).toBeCloseTo(50.5);
  });

  it('answers percentiles within the bucket error at any magnitude', () => {
    const h = new Histogram();
    for (let v = 1; v <= 100_000; v++) h.record(v * 37);
    for (const q of [0.5, 0.9, 0.99, 0.999]) {
      const exact = Math.ceil(q * 100_000) * 37;
      const got = h.quantile(q);
      expect(got).toBeGreaterThanOrEqual(exact);
      expect((got - exact) / exact).toBeLessThan(1 / 64);
    }
    h.record(HISTOGRAM_MAX_VALUE * 4);
    expect(h.max).toBe(HISTOGRAM_MAX_VALUE);
  });

  it('merges like one histogram that saw everything, and takes differences for intervals', () => {
    const a = new Histogram();
    const b = new Histogram();
    const all = new Histogram();
    for (let v = 0; v < 5000; v++) {
      (v % 3 ? a : b).record(v * 11);
      all.record(v * 11);
    }
    const merged = Histogram.from(a.snapshot());
    merged.add(b.snapshot());
    expect(merged.summary()).toEqual(all.summary());

    const before = all.snapshot();
    for (let v = 0; v < 100; v++) all.record(1_000_000 + v);
    const interval = all.since(before);
    expect(interval.total).toBe(100);
    expect(interval.quantile(0.5)).toBeGreaterThanOrEqual(1_000_049);
    expect(interval.min).toBeGreaterThanOrEqual(1_000_000 - 1_000_000 / 64);
  });

  it('regroups counts into chart bins', () => {
    const h = new Histogram();
    [3, 15, 15, 150, 1500].forEach((v) => h.record(v));
    expect(h.binned([1, 10, 100, 1000, 10000])).toEqual([1, 2, 1, 1]);
  });
});
