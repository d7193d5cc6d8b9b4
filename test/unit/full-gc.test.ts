import { setImmediate as turn } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { collectGarbage } from '../../src/core/memory/full-gc.js';

describe('collectGarbage', () => {
  it('runs a full collection without --expose-gc: an unreachable object is gone after it', async () => {
    const ref = (() => new WeakRef({ big: new Array(1000).fill(1) }))();
    // a WeakRef's target lives at least until the end of the job that made it
    await turn();
    expect(collectGarbage()).toBe(true);
    expect(ref.deref()).toBeUndefined();
    expect((globalThis as { gc?: unknown }).gc).toBeUndefined();
  });
});
