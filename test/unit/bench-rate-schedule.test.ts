import { describe, expect, it } from 'vitest';
import { RateSchedule } from '../../src/bench/rate-schedule.js';

describe('bench rate schedule', () => {
  it('releases messages as time passes', () => {
    const r = new RateSchedule(1000, 0);
    expect(r.due(0, 0)).toBe(0);
    expect(r.due(10, 0)).toBe(10);
    expect(r.due(10, 10)).toBe(0);
    expect(r.waitMs(10)).toBeCloseTo(1);
    expect(r.due(25.5, 10)).toBe(15);
    expect(r.overrun).toBe(0);
  });

  it('sheds what a stalled sender cannot catch up on as overrun, keeping 100 ms of backlog', () => {
    const r = new RateSchedule(1000, 0);
    expect(r.due(1000, 0)).toBe(100);
    expect(r.overrun).toBe(900);
    expect(r.due(1000, 100)).toBe(0);
    expect(r.due(1500, 100)).toBe(100);
    expect(r.overrun).toBe(1300);
  });
});
