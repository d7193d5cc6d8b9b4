import { existsSync, readFileSync } from 'node:fs';
import { wrap } from 'node:module';
import path from 'node:path';
import vm from 'node:vm';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.js';

/**
 * The V8 code caches `npm run build` writes beside the bundles (scripts/code-cache.cjs): a cache
 * V8 rejects costs nothing but start-up time, so nothing else would notice (issue 16). Each
 * starts with its bundle's build id, and V8 must accept the rest for that bundle's text.
 */
describe('code caches of the bundles', () => {
  for (const name of ['mqtt.cjs', 'mqtt-pub.cjs']) {
    const file = path.join(ROOT, 'dist', name);
    it.skipIf(!existsSync(`${file}.cache`))(`dist/${name}.cache names the build id and V8 accepts it`, () => {
      const source = readFileSync(file, 'latin1');
      const id = /\n\/\/ build-id: ([0-9a-f]+)\n?$/.exec(source)?.[1];
      expect(id, `dist/${name} ends with a build-id line`).toBeDefined();
      const cache = readFileSync(`${file}.cache`);
      const head = `${id}\n`;
      expect(cache.subarray(0, head.length).toString('latin1')).toBe(head);
      const script = new vm.Script(wrap(source), { filename: file, cachedData: cache.subarray(head.length) });
      expect(script.cachedDataRejected).toBe(false);
    });
  }

  it.skipIf(!existsSync(path.join(ROOT, 'dist/mqtt-pub.cjs')))('dist/mqtt-pub.cjs holds pub alone: the other subcommands are left out', () => {
    const text = readFileSync(path.join(ROOT, 'dist/mqtt-pub.cjs'), 'utf8');
    expect(text).toContain('src/commands/pub-run.ts');
    for (const other of ['src/commands/sub-run.ts', 'src/broker/broker.ts', 'src/sniff/sniffer.ts', 'src/commands/passwd.ts']) expect(text).not.toContain(other);
  });
});
