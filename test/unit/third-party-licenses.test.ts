import { describe, expect, it } from 'vitest';
import { ROOT, runCmd } from '../helpers/cli.js';

describe('THIRD_PARTY_LICENSES', () => {
  it('lists the licence of every package the bundle holds (else: npm run gen)', async () => {
    const r = await runCmd(process.execPath, ['scripts/third-party-licenses.mjs', '--check'], { cwd: ROOT });
    expect([r.code, r.stderr]).toEqual([0, '']);
  });
});
