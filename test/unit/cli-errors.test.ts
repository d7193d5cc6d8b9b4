import { describe, expect, it } from 'vitest';
import { runMqtt } from '../helpers/cli.js';

describe('top-level CLI', () => {
  it('prints the version and exits 0', async () => {
    const r = await runMqtt(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout.toString()).toMatch(/^\d+\.\d+\.\d+/);
  });
  it('rejects an unknown option with one line and the usage hint, exit 1', async () => {
    const r = await runMqtt(['pub', '--bogus']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe("Error: Unknown option '--bogus'.\nUse 'mqtt pub --help' to see usage.\n");
  });
});
