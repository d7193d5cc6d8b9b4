import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MAX_TIMEOUT_MS, setLongTimeout } from '../../src/core/timers/long-timeout.js';

describe('setLongTimeout', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  for (const [name, ms] of [
    ['2^31 ms + 1 s', 2 ** 31 + 1000],
    ['0xFFFFFFFE s', 0xfffffffe * 1000],
    ['0xFFFFFFFF s', 0xffffffff * 1000],
  ] as const) {
    it(`fires after ${name}, not before (setTimeout would fire after 1 ms)`, () => {
      const fired = vi.fn();
      setLongTimeout(fired, ms);
      vi.advanceTimersByTime(1);
      expect(fired).not.toHaveBeenCalled();
      vi.advanceTimersByTime(ms - 2);
      expect(fired).not.toHaveBeenCalled();
      vi.advanceTimersByTime(1);
      expect(fired).toHaveBeenCalledTimes(1);
    });
  }

  it('never hands setTimeout more than it can wait', () => {
    const spy = vi.spyOn(globalThis, 'setTimeout');
    setLongTimeout(() => {}, 0xfffffffe * 1000);
    vi.advanceTimersByTime(MAX_TIMEOUT_MS * 3);
    for (const call of spy.mock.calls) expect(call[1]).toBeLessThanOrEqual(MAX_TIMEOUT_MS);
    spy.mockRestore();
  });

  it('short delays behave like setTimeout; clear cancels at any step', () => {
    const short = vi.fn();
    setLongTimeout(short, 50);
    vi.advanceTimersByTime(50);
    expect(short).toHaveBeenCalledTimes(1);
    const cancelled = vi.fn();
    const t = setLongTimeout(cancelled, MAX_TIMEOUT_MS * 2);
    vi.advanceTimersByTime(MAX_TIMEOUT_MS + 5);
    expect(t.pending).toBe(true);
    t.clear();
    expect(t.pending).toBe(false);
    vi.advanceTimersByTime(MAX_TIMEOUT_MS * 2);
    expect(cancelled).not.toHaveBeenCalled();
  });

  it('a delay that is not a finite number never fires', () => {
    const fired = vi.fn();
    const t = setLongTimeout(fired, Infinity);
    expect(t.pending).toBe(false);
    vi.advanceTimersByTime(MAX_TIMEOUT_MS * 4);
    expect(fired).not.toHaveBeenCalled();
  });
});
