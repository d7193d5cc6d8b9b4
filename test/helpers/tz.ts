import { afterEach } from 'vitest';

/**
 * Tests pin process.env.TZ to get fixed strftime/localtime output; this puts the original value
 * back after each test of the calling file.
 */
export function restoreTzAfterEach(): void {
  const saved = process.env.TZ;
  afterEach(() => {
    if (saved === undefined) delete process.env.TZ;
    else process.env.TZ = saved;
  });
}
